// res.orphans — a process that outlives the sandbox: double fork, setsid, and
// exec `bottle-probe linger <tag> 20` (its cmdline carries the tag). The probe
// returns at once; the harness looks for the survivor after the sandbox ended.
// The lingerer exits by itself after 20 s and holds none of our descriptors.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(res_orphans, "res.orphans", "double-fork + setsid a lingering process carrying the tag (lives until killed)",
             bottle::escape::probe::scoring::effect) {
    int status_pipe[2];
    if (pipe2(status_pipe, O_CLOEXEC) != 0) {
        rep.error("pipe: " + support::errno_name(errno));
        return;
    }
    const pid_t child = fork();
    if (child < 0) {
        rep.attempt("fork", support::errno_name(errno));
        close(status_pipe[0]);
        close(status_pipe[1]);
        return;
    }
    if (child == 0) {
        close(status_pipe[0]);
        setsid();
        const pid_t grandchild = fork();
        if (grandchild != 0) {
            if (grandchild < 0) support::write_all(status_pipe[1], "fork: " + support::errno_name(errno));
            _exit(0);
        }
        // Grandchild: stdio to /dev/null, every other descriptor closed except
        // the close-on-exec status pipe (which tells the probe if exec failed).
        const int null = open("/dev/null", O_RDWR);
        for (int fd = 0; fd <= 2; ++fd) dup2(null >= 0 ? null : fd, fd);
        for (int fd = 3; fd < 1024; ++fd)
            if (fd != status_pipe[1]) close(fd);
        const std::string tag = ctx.tag;
        execl("/proc/self/exe", "bottle-probe", "linger", tag.c_str(), "600", static_cast<char*>(nullptr));
        support::write_all(status_pipe[1], "exec /proc/self/exe: " + support::errno_name(errno));
        _exit(127);
    }
    close(status_pipe[1]);
    waitpid(child, nullptr, 0);
    // EOF without data = the exec succeeded (the pipe closed on exec).
    std::string msg;
    pollfd p{status_pipe[0], POLLIN, 0};
    const long long deadline = support::now_ms() + 1000;
    while (support::now_ms() < deadline && poll(&p, 1, 100) >= 0) {
        char buf[256];
        const ssize_t n = read(status_pipe[0], buf, sizeof buf);
        if (n <= 0) break;
        msg.append(buf, static_cast<std::size_t>(n));
    }
    close(status_pipe[0]);
    rep.attempt("double fork + setsid + exec bottle-probe linger " + ctx.tag + " 600",
                msg.empty() ? "lingering process started (lives until killed, at most 10 minutes)" : msg, msg.empty());
}
