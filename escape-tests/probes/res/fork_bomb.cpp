// res.fork_bomb — a bounded fork bomb: up to 512 sleeping children, stopping
// at the first failure. A sandbox with a process limit stops it early; reached
// when all 512 were created (no limit below that). Every child is killed and
// reaped before the probe returns (and dies with it: PDEATHSIG, alarm).
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(res_fork_bomb, "res.fork_bomb", "fork up to 512 sleeping children; stop at the first failure",
             bottle::escape::probe::scoring::self) {
    constexpr int target = 512;
    rlimit nproc{};
    if (getrlimit(RLIMIT_NPROC, &nproc) == 0)
        rep.observe("RLIMIT_NPROC soft " + (nproc.rlim_cur == RLIM_INFINITY ? std::string("unlimited") : std::to_string(nproc.rlim_cur)));
    for (const char* f : {"/sys/fs/cgroup/pids.max", "/sys/fs/cgroup/pids/pids.max", "/proc/sys/kernel/threads-max"}) {
        const auto r = support::read_file(f);
        if (r.ok) rep.observe(std::string(f) + ": " + r.data);
    }
    const pid_t parent = getpid();
    std::vector<pid_t> kids;
    kids.reserve(target);
    int fail = 0;
    const long long deadline = support::now_ms() + 1800;
    while (static_cast<int>(kids.size()) < target && support::now_ms() < deadline) {
        const pid_t pid = fork();
        if (pid < 0) {
            fail = errno;
            break;
        }
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent) _exit(0);
            alarm(10);  // never outlive a lost parent for long
            for (;;) pause();
        }
        kids.push_back(pid);
    }
    const int made = static_cast<int>(kids.size());
    for (pid_t k : kids) kill(k, SIGKILL);
    for (pid_t k : kids) waitpid(k, nullptr, 0);
    std::string outcome = "created " + std::to_string(made) + " of " + std::to_string(target);
    if (fail != 0) outcome += ", then fork: " + support::errno_name(fail);
    else if (made < target) outcome += ", stopped at the time budget";
    outcome += "; all killed and reaped";
    rep.attempt("fork up to " + std::to_string(target) + " children", outcome, made == target);
}
