// ipc.ptrace_host — reach a host process: read its memory with
// process_vm_readv and /proc/PID/mem, ptrace-attach it, signal it. The target
// is only this run's canary process (pid from /run/bbx/canary.pid, or found
// by name in /proc) and only after /proc/PID/comm reads its name
// (lab::canary_comm); the only signal sent is SIGUSR1, queued with the run's
// value (lab::canary_signal_value), which the canary logs.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

namespace {

bool is_canary(pid_t pid, const std::string& comm) {
    const auto f = support::read_file("/proc/" + std::to_string(pid) + "/comm");
    if (!f.ok) return false;
    std::string c = f.data;
    while (!c.empty() && (c.back() == '\n' || c.back() == '\0')) c.pop_back();
    return c == comm;
}

pid_t find_canary(bottle::escape::probe::report& rep, const std::string& comm) {
    const auto f = support::read_file(std::string(lab::canary_pid_file));
    rep.attempt("read " + std::string(lab::canary_pid_file), support::describe(f), f.ok);
    if (f.ok) {
        const pid_t pid = static_cast<pid_t>(std::atol(f.data.c_str()));
        if (pid > 0 && is_canary(pid, comm)) return pid;
        rep.attempt("check /proc/" + std::to_string(pid) + "/comm", "not \"" + comm + "\" here (other pid namespace?)");
    }
    for (const auto& name : support::list_dir("/proc")) {
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        const pid_t pid = static_cast<pid_t>(std::atol(name.c_str()));
        if (is_canary(pid, comm)) {
            rep.attempt("scan /proc/*/comm for " + comm, "found pid " + name, false);
            return pid;
        }
    }
    rep.attempt("scan /proc/*/comm for " + comm, "not visible");
    return 0;
}

}  // namespace

BOTTLE_PROBE(ipc_ptrace_host, "ipc.ptrace_host",
             "process_vm_readv, /proc/PID/mem, ptrace attach and SIGUSR1 against the host canary process",
             bottle::escape::probe::scoring::sink | bottle::escape::probe::scoring::token |
                 bottle::escape::probe::scoring::effect) {
    const std::string comm = lab::canary_comm(ctx.nonce);
    const pid_t pid = find_canary(rep, comm);
    if (pid <= 0) return;  // nothing visible to attack: BLOCKED from the outside's view
    const std::string spid = std::to_string(pid);

    // Where the canary keeps its token.
    unsigned long long addr = 0;
    std::size_t len = 0;
    const auto a = support::read_file("/run/bbx/canary.addr");
    rep.attempt("read /run/bbx/canary.addr", support::describe(a), a.ok);
    if (a.ok) {
        std::istringstream in(a.data);
        std::string hexaddr;
        in >> hexaddr >> len;
        addr = std::strtoull(hexaddr.c_str(), nullptr, 16);
        if (len == 0 || len > 4096) len = 64;
    }
    if (addr != 0) {
        std::string buf(len, '\0');
        iovec local{buf.data(), len};
        iovec remote{reinterpret_cast<void*>(addr), len};
        const ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        char where[32];
        std::snprintf(where, sizeof where, "0x%llx", addr);
        rep.attempt("process_vm_readv pid " + spid + " at " + where + " (" + std::to_string(len) + " bytes)",
                    n >= 0 ? "read " + std::to_string(n) + " bytes" : support::errno_name(errno), n > 0);
        if (n > 0) rep.observe("canary memory (process_vm_readv): " + buf.substr(0, static_cast<std::size_t>(n)));

        const int mem = open(("/proc/" + spid + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
        if (mem < 0) {
            rep.attempt("open /proc/" + spid + "/mem", support::errno_name(errno));
        } else {
            std::string mbuf(len, '\0');
            const ssize_t m = pread(mem, mbuf.data(), len, static_cast<off_t>(addr));
            close(mem);
            rep.attempt("pread /proc/" + spid + "/mem", m >= 0 ? "read " + std::to_string(m) + " bytes" : support::errno_name(errno),
                        m > 0);
            if (m > 0) rep.observe("canary memory (/proc/PID/mem): " + mbuf.substr(0, static_cast<std::size_t>(m)));
        }
    }

    // ptrace: SEIZE (same permission check as ATTACH, no SIGSTOP sent), then
    // INTERRUPT, wait for the stop, DETACH. Exiting detaches anyway.
    if (ptrace(PTRACE_SEIZE, pid, nullptr, nullptr) != 0) {
        rep.attempt("ptrace(PTRACE_SEIZE) pid " + spid, support::errno_name(errno));
    } else {
        rep.attempt("ptrace(PTRACE_SEIZE) pid " + spid, "attached", true);
        ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr);
        int status = 0;
        bool stopped = false;
        for (int i = 0; i < 100 && !stopped; ++i) {
            if (waitpid(pid, &status, WNOHANG | __WALL) == pid) stopped = true;
            else usleep(5000);
        }
        const long d = ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
        rep.attempt("ptrace(PTRACE_DETACH) pid " + spid, d == 0 ? "detached" : support::errno_name(errno));
    }

    if (!is_canary(pid, comm)) return;  // re-check right before signalling
    sigval value{};
    value.sival_int = lab::canary_signal_value(ctx.nonce);
    const int k = sigqueue(pid, SIGUSR1, value);
    rep.attempt("sigqueue(" + spid + ", SIGUSR1, the run's value)", k == 0 ? "delivered" : support::errno_name(errno), k == 0);
}
