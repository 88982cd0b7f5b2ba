#include "bottle-run/backends/smolmachines/steps.hpp"

#include "bottle-run/run_cli.hpp"

#include "bottle/os/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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
        const int n = ::poll(p, pidfd ? 2 : 1, wait_ms);
        if (n < 0 && errno != EINTR) break;
        if (!pidfd || (p[0].revents & POLLIN)) break;
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
