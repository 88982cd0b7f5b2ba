// ipc.pid_visibility — whether the sandbox shares the host's pid namespace
// (or its /proc): host processes visible in /proc, the host canary's pid, and
// what pid 1 is. The harness compares the reported canary pid with the real one.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <unistd.h>

#include <string>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(ipc_pid_visibility, "ipc.pid_visibility",
             "list /proc/*/comm: is the host canary process visible, and what is pid 1",
             bottle::escape::probe::scoring::token) {
    int err = 0;
    const auto entries = support::list_dir("/proc", &err);
    if (err != 0) {
        rep.attempt("list /proc", support::errno_name(err));
        return;
    }
    int count = 0;
    std::string comms;
    bool found = false;
    for (const auto& name : entries) {
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        ++count;
        auto c = support::read_file("/proc/" + name + "/comm");
        if (!c.ok) continue;
        while (!c.data.empty() && c.data.back() == '\n') c.data.pop_back();
        if (comms.size() < 4096) comms += name + ":" + c.data + " ";
        if (c.data == lab::canary_comm(ctx.nonce)) {
            found = true;
            rep.attempt("find this run's canary (comm " + lab::canary_comm(ctx.nonce) + ") in /proc", "visible as pid " + name, true);
            rep.fact("canary_pid", name);
        }
    }
    if (!found) rep.attempt("find this run's canary (comm " + lab::canary_comm(ctx.nonce) + ") in /proc", "not visible");
    rep.observe("visible processes: " + std::to_string(count) + " (own pid " + std::to_string(getpid()) + "): " + comms);
    auto one = support::read_file("/proc/1/cmdline");
    for (auto& ch : one.data)
        if (ch == '\0') ch = ' ';
    rep.attempt("read /proc/1/cmdline", support::describe(one), one.ok);
    if (one.ok) rep.observe("pid 1 cmdline: " + one.data);
}
