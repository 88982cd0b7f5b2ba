#include "bottle-run/backends/smolmachines/steps.hpp"

#include "bottle-run/run_cli.hpp"

#include "bottle/os/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace bottle::run::smolmachines {

std::optional<std::string> find_on_path(const std::string& name, const std::string& path_var) {
    std::size_t start = 0;
    while (start <= path_var.size()) {
        const auto end = std::min(path_var.find(':', start), path_var.size());
        const std::string dir = path_var.substr(start, end - start);
        start = end + 1;
        if (dir.empty() || dir.front() != '/') continue;  // never the working directory
        const std::string candidate = dir + "/" + name;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return std::nullopt;
}

result<void> check_kvm(const std::string& device) {
    const int fd = ::open(device.c_str(), O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        ::close(fd);
        return {};
    }
    const int e = errno;
    if (e == ENOENT || e == ENXIO || e == ENODEV)
        return make_error(errc::not_found, device + " is missing: smolvm needs KVM (open: " + std::strerror(e) + ")");
    if (e == EACCES || e == EPERM)
        return make_error(errc::permission_denied, "this user may not open " + device + " read-write (" + std::strerror(e) + ")");
    return make_error(errc::io_error, "cannot open " + device + " read-write: " + std::strerror(e));
}

result<os::spawn_output> run_step(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                  std::chrono::milliseconds timeout) {
    os::spawn_request r;
    r.argv = argv;
    r.env = env;
    r.timeout = timeout;
    r.stderr_to = os::stderr_mode::capture;
    r.output_cap = 1 << 20;
    r.drain_after_exit = std::chrono::milliseconds(100);
    return os::spawn(r);
}

namespace {

/// Reads what is there (non-blocking) into `into`, keeping at most `cap`
/// bytes; false at end of file or error.
bool drain_pipe(int fd, std::string& into, std::size_t cap) {
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            into.append(buf, std::min(static_cast<std::size_t>(n), cap > into.size() ? cap - into.size() : 0));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        return n < 0 && errno == EAGAIN;
    }
}

}  // namespace

result<os::spawn_output> run_step(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                  std::chrono::milliseconds timeout, os::signal_fd& sigs, int& signalled) {
    signalled = 0;
    if (argv.empty() || argv.front().empty() || argv.front().front() != '/')
        return make_error(errc::invalid_argument, "a smolvm step needs an absolute program path");
    std::vector<char*> a, e;
    for (const auto& x : argv) a.push_back(const_cast<char*>(x.c_str()));
    a.push_back(nullptr);
    for (const auto& x : env) e.push_back(const_cast<char*>(x.c_str()));
    e.push_back(nullptr);
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return make_error(errc::io_error, std::string("pipe: ") + std::strerror(errno));
    os::unique_fd out_r(out_pipe[0]), out_w(out_pipe[1]);
    if (::pipe2(err_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return make_error(errc::io_error, std::string("pipe: ") + std::strerror(errno));
    os::unique_fd err_r(err_pipe[0]), err_w(err_pipe[1]);
    os::unique_fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null_in) return make_error(errc::io_error, std::string("/dev/null: ") + std::strerror(errno));
    const pid_t pid = ::fork();
    if (pid < 0) return make_error(errc::io_error, std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        // Its own group (a terminal's ^C is the launcher's to judge), default
        // dispositions, nothing blocked, only stdio: async-signal-safe calls only.
        ::setpgid(0, 0);
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; ++sig) (void)::sigaction(sig, &dfl, nullptr);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        if (::dup2(null_in.get(), 0) < 0 || ::dup2(out_w.get(), 1) < 0 || ::dup2(err_w.get(), 2) < 0) _exit(exit_launcher_failed);
        int fl = ::fcntl(1, F_GETFL);
        ::fcntl(1, F_SETFL, fl & ~O_NONBLOCK);
        fl = ::fcntl(2, F_GETFL);
        ::fcntl(2, F_SETFL, fl & ~O_NONBLOCK);
        ::execve(a[0], a.data(), e.data());
        _exit(exit_not_found);
    }
    ::setpgid(pid, pid);  // also here: no window where a kill(-pid) misses it
    out_w.reset();
    err_w.reset();
    os::unique_fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    os::spawn_output o;
    o.pid = pid;
    const std::size_t cap = 1 << 20;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool out_open = true, err_open = true, exited = false;
    while (!exited) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
            o.timed_out = true;
            break;
        }
        pollfd p[4] = {{sigs.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}, {out_open ? out_r.get() : -1, POLLIN, 0},
                       {err_open ? err_r.get() : -1, POLLIN, 0}};
        // Without a pidfd, look for the exit every 50 ms.
        const int n = ::poll(p, 4, static_cast<int>(pidfd ? std::min<long long>(left, 60000) : std::min<long long>(left, 50)));
        if (n < 0 && errno != EINTR) break;
        if (p[2].revents) out_open = drain_pipe(out_r.get(), o.out, cap);
        if (p[3].revents) err_open = drain_pipe(err_r.get(), o.err, cap);
        if (p[0].revents & POLLIN) {
            auto s = sigs.wait(std::chrono::milliseconds(0));
            if (s && *s) {
                signalled = **s;
                break;
            }
        }
        if (pidfd && (p[1].revents & POLLIN)) exited = true;
        if (!pidfd) {
            siginfo_t si{};
            if (::waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) exited = true;
        }
    }
    if (!exited) (void)::kill(-pid, SIGKILL);  // timed out or interrupted: the whole group
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    o.reaped = true;
    // What the step printed just before it ended (a grandchild holding the
    // pipes is not waited for).
    const auto drain_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    while ((out_open || err_open) && std::chrono::steady_clock::now() < drain_until) {
        pollfd p[2] = {{out_open ? out_r.get() : -1, POLLIN, 0}, {err_open ? err_r.get() : -1, POLLIN, 0}};
        if (::poll(p, 2, 20) <= 0) continue;
        if (p[0].revents) out_open = drain_pipe(out_r.get(), o.out, cap);
        if (p[1].revents) err_open = drain_pipe(err_r.get(), o.err, cap);
    }
    if (WIFEXITED(st) && !o.timed_out && !signalled) o.exit_code = WEXITSTATUS(st);
    else if (WIFSIGNALED(st) && !o.timed_out && !signalled) o.term_signal = WTERMSIG(st);
    else o.term_signal = SIGKILL;
    return o;
}

std::string step_failure(const os::spawn_output& o) {
    std::string why;
    if (o.timed_out) why = "no answer in time (killed)";
    else if (o.term_signal) why = "killed by signal " + std::to_string(o.term_signal);
    else why = "exit " + std::to_string(o.exit_code);
    std::string text = o.err.empty() ? o.out : o.err;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (text.size() > 2000) text = text.substr(0, 2000) + "...";
    return text.empty() ? why : why + ": " + text;
}

int exec_agent(const std::vector<std::string>& argv, const std::vector<std::string>& env, bool interactive, os::signal_fd& sigs,
               std::ostream& err) {
    std::vector<char*> a, e;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    for (const auto& s : env) e.push_back(const_cast<char*>(s.c_str()));
    e.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        err << "bottle-run: smolmachines: exec: fork: " << std::strerror(errno) << '\n';
        return exit_launcher_failed;
    }
    if (pid == 0) {
        // Stays in the launcher's process group so a terminal's job control
        // and keys reach smolvm's own relay, which owns the guest's pty.
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execve(a[0], a.data(), e.data());
        _exit(exit_not_found);
    }
    os::unique_fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    std::optional<std::chrono::steady_clock::time_point> kill_at;
    int by_signal = 0;
    for (;;) {
        pollfd p[2] = {{pidfd.get(), POLLIN, 0}, {sigs.get(), POLLIN, 0}};
        int wait_ms = -1;
        if (kill_at)
            wait_ms = static_cast<int>(std::max<long long>(
                0, std::chrono::duration_cast<std::chrono::milliseconds>(*kill_at - std::chrono::steady_clock::now()).count()));
        // Without a pidfd (it was -1: poll ignores it), look for the exit every 50 ms.
        if (!pidfd) wait_ms = wait_ms < 0 ? 50 : std::min(wait_ms, 50);
        const int n = ::poll(p, 2, wait_ms);
        if (n < 0 && errno != EINTR) break;
        if (pidfd && (p[0].revents & POLLIN)) break;
        if (!pidfd) {
            siginfo_t si{};
            if (::waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) break;
        }
        if (p[1].revents & POLLIN) {
            auto s = sigs.wait(std::chrono::milliseconds(0));
            if (s && *s) {
                by_signal = **s;
                // A terminal's ^C already reached smolvm (same process group).
                if (!(interactive && by_signal == SIGINT)) ::kill(pid, by_signal);
                if (!kill_at) kill_at = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            }
        }
        if (kill_at && std::chrono::steady_clock::now() >= *kill_at) ::kill(pid, SIGKILL);
    }
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return by_signal ? 128 + by_signal : exit_launcher_failed;
}

}  // namespace bottle::run::smolmachines
