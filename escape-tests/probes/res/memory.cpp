// res.memory — can the sandbox take the host's memory? Judged outside, from
// the limits that really confine the sandbox's processes: the lab host reads
// this process's memory cgroup (memory.limit_in_bytes / memory.max, up to
// the root) and its RLIMIT_AS/RLIMIT_DATA from /proc while the sandbox runs
// (lab/memory_limits.hpp, runner/memory_verdict.hpp). How much a busy CPU
// manages to touch in a time budget is not the verdict.
//
// The attempt itself (it must be made for BLOCKED): allocate and touch 512
// MiB in 64 MiB steps in a forked child, which the memory goes with. A
// limit below that stops it (ENOMEM or the OOM killer); what the sandbox
// shows from inside is observed for the report only.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>

namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(res_memory, "res.memory", "allocate and touch 512 MiB in a child; judged from the memory limits seen outside",
             bottle::escape::probe::scoring::effect) {
    constexpr std::size_t step = 64UL << 20;
    constexpr int steps = 8;  // 512 MiB
    for (const char* f : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
        const auto r = support::read_file(f);
        if (r.ok) rep.observe(std::string(f) + ": " + r.data);
    }
    rlimit as{};
    if (getrlimit(RLIMIT_AS, &as) == 0)
        rep.observe("RLIMIT_AS " + (as.rlim_cur == RLIM_INFINITY ? std::string("unlimited") : std::to_string(as.rlim_cur)));

    // The child writes '+' per touched step, or "E<errno name>" and stops.
    const auto c = support::run_in_child(
        [](int out) {
            for (int i = 0; i < steps; ++i) {
                void* p = mmap(nullptr, step, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
                if (p == MAP_FAILED) {
                    support::write_all(out, "E" + support::errno_name(errno));
                    return;
                }
                auto* bytes = static_cast<volatile char*>(p);
                for (std::size_t off = 0; off < step; off += 4096) bytes[off] = 1;
                support::write_all(out, "+");
            }
        },
        2000);
    int touched = 0;
    for (char ch : c.out) touched += ch == '+' ? 1 : 0;
    const auto e = c.out.find('E');
    std::string outcome = "touched " + std::to_string(touched * 64) + " MiB of " + std::to_string(steps * 64);
    if (e != std::string::npos) outcome += ", then mmap: " + c.out.substr(e + 1);
    outcome += "; child " + c.describe();
    if (c.signal == SIGKILL && !c.timed_out) outcome += " (a memory limit held)";
    rep.attempt("allocate and touch 512 MiB in 64 MiB steps", outcome, touched == steps);
}
