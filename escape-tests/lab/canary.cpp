#include "canary.hpp"

#include "../protocol/lines.hpp"
#include "lab_plan.hpp"
#include "log_file.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace bottle::escape::lab {

int run_canary(const std::string& canary_token, const std::string& nonce, const std::string& run_bbx_dir, int log_fd) {
    prctl(PR_SET_NAME, canary_comm(nonce).c_str(), 0, 0, 0);
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGUSR1, SIGUSR2, SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGCONT}) sigaddset(&set, s);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    // The token lives on the heap; its address is published so ipc.ptrace_host
    // can try process_vm_readv on it.
    auto* secret = new char[canary_token.size() + 1];
    std::memcpy(secret, canary_token.c_str(), canary_token.size() + 1);
    char addr[64];
    std::snprintf(addr, sizeof addr, "%llx %zu\n", static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(secret)),
                  canary_token.size());
    std::ofstream(run_bbx_dir + "/canary.addr") << addr;
    std::ofstream(run_bbx_dir + "/canary.pid") << getpid() << "\n";
    const pid_t parent = getppid();
    for (;;) {
        siginfo_t info{};
        const int sig = sigwaitinfo(&set, &info);
        if (sig < 0) continue;
        if (sig == SIGTERM && info.si_pid == parent) break;
        const std::string code = info.si_code == SI_QUEUE ? "SI_QUEUE" : info.si_code == SI_USER ? "SI_USER" : std::to_string(info.si_code);
        const std::string value = info.si_code == SI_QUEUE ? std::to_string(info.si_value.sival_int) : "none";
        append_line(log_fd, protocol::encode(protocol::lab_event{"host.canary_process", "signal", canary_comm(nonce),
                                                               "pid " + std::to_string(info.si_pid),
                                                               std::string(strsignal(sig)) + " si_code=" + code + " value=" + value,
                                                               wall_ms()}));
    }
    delete[] secret;
    return 0;
}

}  // namespace bottle::escape::lab
