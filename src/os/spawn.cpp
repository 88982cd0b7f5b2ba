// src/os/spawn.cpp — fork + exec with a CLOEXEC report pipe, then one poll()
// loop that feeds stdin, drains stdout/stderr and watches the deadline.
//
// fork (not posix_spawn) because the child reports *which* step failed
// (cwd, descriptors, exec) and exec's errno, so "no such directory" is never
// mistaken for "no such program". Everything the child touches is built
// before fork: between fork and exec it only makes async-signal-safe calls.
#include "bottle/os/spawn.hpp"

#include "bottle/os/unique_fd.hpp"
#include "errno_error.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string_view>
#include <thread>

extern char** environ;

namespace bottle::os {
namespace {

using clock_type = std::chrono::steady_clock;

/// How long SIGKILL may take to end the program before we stop waiting.
constexpr auto reap_grace = std::chrono::seconds(2);
/// Poll tick when the kernel has no pidfd to wake us at the child's exit.
constexpr int fallback_tick_ms = 20;

enum class child_step : int { setup = 1, cwd = 2, exec = 3 };

struct child_failure {
    int step = 0;
    int error = 0;
};

/// Everything the child needs, prepared before fork.
struct exec_plan {
    std::vector<std::string> candidates;  ///< paths to execve, in order
    std::vector<char*> argv;
    std::vector<char*> envp;              ///< empty: inherit `environ`
    const char* cwd = nullptr;
    std::array<int, 3> stdio{-1, -1, -1}; ///< what becomes fd 0, 1, 2
    int report = -1;
};

[[noreturn]] void fail_in_child(int report, child_step step, int error) noexcept {
    const child_failure f{static_cast<int>(step), error};
    (void)!::write(report, &f, sizeof f);
    ::_exit(127);
}

/// Marks every descriptor from 3 up close-on-exec, so the program gets only
/// its stdio. The loop is for kernels without CLOSE_RANGE_CLOEXEC (< 5.11).
bool cloexec_from_3() noexcept {
    if (::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) == 0) return true;
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
    const rlim_t top = std::min<rlim_t>(lim.rlim_cur, 1 << 16);
    for (rlim_t fd = 3; fd < top; ++fd) {
        const int flags = ::fcntl(static_cast<int>(fd), F_GETFD);
        if (flags >= 0) ::fcntl(static_cast<int>(fd), F_SETFD, flags | FD_CLOEXEC);
    }
    return true;
}

[[noreturn]] void run_child(const exec_plan& plan) noexcept {
    ::setpgid(0, 0);
    // The parent blocked every signal around fork; reset dispositions while
    // still blocked, so no inherited handler can run in the child.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);

    // Move sources out of 0..2 first: if the caller had closed stdio, a pipe
    // may sit where another stream must go.
    std::array<int, 3> src = plan.stdio;
    for (int& fd : src) {
        if (fd >= 0 && fd < 3) {
            fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
            if (fd < 0) fail_in_child(plan.report, child_step::setup, errno);
        }
    }
    for (int i = 0; i < 3; ++i)
        if (::dup2(src[static_cast<std::size_t>(i)], i) < 0) fail_in_child(plan.report, child_step::setup, errno);
    if (plan.cwd && ::chdir(plan.cwd) != 0) fail_in_child(plan.report, child_step::cwd, errno);
    if (!cloexec_from_3()) fail_in_child(plan.report, child_step::setup, errno);

    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);

    char* const* envp = plan.envp.empty() ? environ : plan.envp.data();
    // execvp's rules: keep looking past "not here"; report EACCES if any
    // candidate was refused, else the last error.
    int last = ENOENT;
    bool refused = false;
    for (const auto& path : plan.candidates) {
        ::execve(path.c_str(), plan.argv.data(), envp);
        last = errno;
        if (last == EACCES) refused = true;
        else if (last != ENOENT && last != ENOTDIR && last != ENODEV && last != ETIMEDOUT && last != ESTALE) break;
    }
    fail_in_child(plan.report, child_step::exec, refused && (last == ENOENT || last == ENOTDIR) ? EACCES : last);
}

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

/// Candidates for argv[0]: itself if it has a '/', else each absolute PATH entry.
std::vector<std::string> exec_candidates(const std::string& program) {
    if (program.find('/') != std::string::npos) return {program};
    const char* path_env = std::getenv("PATH");
    const std::string_view path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find(':', start), path.size());
        const std::string_view dir = path.substr(start, end - start);
        start = end + 1;
        // Empty and relative entries mean the working directory: never run from there.
        if (dir.empty() || dir.front() != '/') continue;
        out.push_back(std::string(dir) + "/" + program);
    }
    return out;
}

error start_failure(const std::string& program, const std::optional<std::string>& cwd, child_failure f) {
    const std::string why = detail::errno_text(f.error);
    switch (static_cast<child_step>(f.step)) {
        case child_step::cwd:
            return make_error(detail::errc_from_errno(f.error),
                              "cannot run " + program + ": cannot change directory to " + cwd.value_or("") + ": " + why);
        case child_step::exec:
            if (f.error == ENOENT || f.error == ENOTDIR)
                return make_error(errc::not_found, "cannot run " + program + ": not found (" + why + ")");
            if (f.error == EACCES || f.error == EPERM || f.error == ENOEXEC || f.error == EISDIR)
                return make_error(errc::permission_denied, "cannot run " + program + ": not executable (" + why + ")");
            return make_error(errc::io_error, "cannot run " + program + ": " + why);
        case child_step::setup: break;
    }
    return make_error(errc::io_error, "cannot set up the child for " + program + ": " + why);
}

bool set_nonblocking(int fd) { return ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) == 0; }

/// One captured stream: the parent's read end and where its bytes go.
struct capture {
    unique_fd fd;
    std::string* sink = nullptr;
    bool* truncated = nullptr;
};

/// Reads what is there now, at most `budget` bytes (so a writer that never
/// stops cannot hold us past the deadline); false at end of file or error.
bool drain(capture& c, std::size_t cap, std::size_t budget = 1 << 20) {
    char buf[64 * 1024];
    while (budget > 0) {
        const ssize_t n = ::read(c.fd.get(), buf, sizeof buf);
        if (n < 0) return errno == EAGAIN || errno == EINTR;
        if (n == 0) return false;
        const auto got = static_cast<std::size_t>(n);
        budget -= std::min(budget, got);
        const std::size_t room = cap - std::min(c.sink->size(), cap);
        c.sink->append(buf, std::min(room, got));
        if (got > room) *c.truncated = true;
    }
    return true;
}

int ms_until(clock_type::time_point t) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t - clock_type::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

void record_status(spawn_output& out, int status) {
    out.reaped = true;
    if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) out.term_signal = WTERMSIG(status);
}

/// Waits up to `grace` for `pid` to be reaped; true if it was.
bool reap_within(int pid, int pidfd, std::chrono::milliseconds grace, int& status) {
    const auto until = clock_type::now() + grace;
    for (;;) {
        const int w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid) return true;
        if (w < 0 && errno != EINTR) return false;
        if (clock_type::now() >= until) return false;
        pollfd p{pidfd, POLLIN, 0};
        ::poll(&p, pidfd >= 0 ? 1 : 0, std::min(fallback_tick_ms, ms_until(until)));
    }
}

}  // namespace

result<spawn_output> spawn(const spawn_request& request) {
    if (request.argv.empty() || request.argv.front().empty())
        return make_error(errc::invalid_argument, "spawn: argv and argv[0] must not be empty");
    const std::string& program = request.argv.front();
    if (request.timeout <= std::chrono::milliseconds::zero())
        return make_error(errc::invalid_argument, "spawn " + program + ": the timeout must be positive");
    for (const auto& a : request.argv)
        if (has_nul(a)) return make_error(errc::invalid_argument, "spawn " + program + ": NUL byte in an argument");
    if (request.env)
        for (const auto& e : *request.env)
            if (has_nul(e) || e.find('=') == std::string::npos)
                return make_error(errc::invalid_argument, "spawn " + program + ": environment entries are NAME=value");
    if (request.cwd && (request.cwd->empty() || has_nul(*request.cwd)))
        return make_error(errc::invalid_argument, "spawn " + program + ": bad working directory");

    const auto deadline = clock_type::now() + request.timeout;
    exec_plan plan;
    plan.candidates = exec_candidates(program);
    for (const auto& a : request.argv) plan.argv.push_back(const_cast<char*>(a.c_str()));
    plan.argv.push_back(nullptr);
    if (request.env) {
        for (const auto& e : *request.env) plan.envp.push_back(const_cast<char*>(e.c_str()));
        plan.envp.push_back(nullptr);
    }
    if (request.cwd) plan.cwd = request.cwd->c_str();

    // Descriptors: the parent's ends become non-blocking, the child's are
    // closed in the parent right after fork. All are CLOEXEC.
    auto os_error = [&](const char* what) { return detail::errno_error(std::string(what) + " for " + program, errno); };
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return os_error("pipe");
    unique_fd report_r(p[0]), report_w(p[1]);
    unique_fd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!devnull) return os_error("open /dev/null");
    unique_fd stdin_parent, stdin_child;
    if (request.stdin_bytes) {
        // A socket, not a pipe: send(MSG_NOSIGNAL) to a child that stopped
        // reading fails with EPIPE instead of raising SIGPIPE in the caller.
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) != 0) return os_error("socketpair");
        stdin_parent.reset(p[0]);
        stdin_child.reset(p[1]);
        ::shutdown(stdin_child.get(), SHUT_WR);
        if (!set_nonblocking(stdin_parent.get())) return os_error("fcntl");
    }
    spawn_output out;
    std::array<capture, 2> caps;
    unique_fd out_w, err_w;
    if (::pipe2(p, O_CLOEXEC) != 0) return os_error("pipe");
    caps[0] = {unique_fd(p[0]), &out.out, &out.out_truncated};
    out_w.reset(p[1]);
    if (request.stderr_to == stderr_mode::capture) {
        if (::pipe2(p, O_CLOEXEC) != 0) return os_error("pipe");
        caps[1] = {unique_fd(p[0]), &out.err, &out.err_truncated};
        err_w.reset(p[1]);
    }
    for (auto& c : caps)
        if (c.fd && !set_nonblocking(c.fd.get())) return os_error("fcntl");
    plan.stdio = {stdin_child ? stdin_child.get() : devnull.get(), out_w.get(),
                  request.stderr_to == stderr_mode::capture ? err_w.get()
                  : request.stderr_to == stderr_mode::merge ? out_w.get()
                                                            : devnull.get()};
    plan.report = report_w.get();

    sigset_t all, old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    const pid_t pid = ::fork();
    if (pid == 0) run_child(plan);
    const int fork_errno = errno;
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) return detail::errno_error("fork for " + program, fork_errno);
    ::setpgid(pid, pid);  // also done by the child; whichever runs first wins the race
    out.pid = pid;
    report_w.reset();
    stdin_child.reset();
    out_w.reset();
    err_w.reset();
    devnull.reset();

    child_failure failure;
    ssize_t got;
    do got = ::read(report_r.get(), &failure, sizeof failure);
    while (got < 0 && errno == EINTR);
    if (got == static_cast<ssize_t>(sizeof failure)) {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return start_failure(program, request.cwd, failure);
    }
    report_r.reset();

    // A pidfd wakes poll() the moment the child exits (Linux >= 5.3).
    const unique_fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    std::size_t stdin_done = 0;
    if (stdin_parent && request.stdin_bytes->empty()) stdin_parent.reset();
    bool exited = false;
    int status = 0;
    clock_type::time_point drain_until{};
    for (;;) {
        if (!exited) {
            const int w = ::waitpid(pid, &status, WNOHANG);
            if (w == pid || (w < 0 && errno == ECHILD)) {
                // ECHILD: the caller ignores SIGCHLD, so the kernel reaped it
                // and its status is lost (exit_code stays -1).
                exited = true;
                if (w == pid) record_status(out, status);
                drain_until = std::min(clock_type::now() + request.drain_after_exit, deadline);
                stdin_parent.reset();
            }
        }
        const bool streams_open = caps[0].fd || caps[1].fd;
        const auto now = clock_type::now();
        if (exited && (!streams_open || now >= drain_until)) break;
        if (!exited && now >= deadline) break;

        std::array<pollfd, 4> fds{};
        nfds_t n = 0;
        for (auto& c : caps) fds[n++] = {c.fd ? c.fd.get() : -1, POLLIN, 0};
        fds[n++] = {stdin_parent ? stdin_parent.get() : -1, POLLOUT, 0};
        fds[n++] = {exited ? -1 : pidfd.get(), POLLIN, 0};
        int wait_ms = ms_until(exited ? drain_until : deadline);
        if (!pidfd && !exited) wait_ms = std::min(wait_ms, fallback_tick_ms);
        if (::poll(fds.data(), n, wait_ms) < 0 && errno != EINTR) break;
        for (std::size_t i = 0; i < caps.size(); ++i)
            if (fds[i].revents != 0 && !drain(caps[i], request.output_cap)) caps[i].fd.reset();
        if (fds[2].revents != 0) {
            const std::string& bytes = *request.stdin_bytes;
            const ssize_t sent = ::send(stdin_parent.get(), bytes.data() + stdin_done,
                                        std::min<std::size_t>(bytes.size() - stdin_done, 64 * 1024),
                                        MSG_NOSIGNAL | MSG_DONTWAIT);
            if (sent > 0) stdin_done += static_cast<std::size_t>(sent);
            else if (sent < 0 && errno != EAGAIN && errno != EINTR) stdin_parent.reset();  // the child stopped reading
            if (stdin_done == bytes.size()) stdin_parent.reset();
        }
    }
    // What is already in the pipes belongs to the output, bounded against a
    // grandchild that writes forever.
    for (auto& c : caps)
        if (c.fd) drain(c, request.output_cap, 2 * request.output_cap + 64 * 1024);

    if (!exited) {
        out.timed_out = true;
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);  // in case it left its group; not reaped yet, so the pid is still ours
        if (reap_within(pid, pidfd.get(), reap_grace, status)) record_status(out, status);
        out.exit_code = -1;
    }
    return out;
}

}  // namespace bottle::os
