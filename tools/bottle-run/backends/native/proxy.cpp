#include "bottle-run/backends/native/proxy.hpp"

#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

namespace bottle::run::native {

std::string detail::prefer_static_egress(const std::string& dynamic) {
    const std::string static_build = dynamic + "-static";
    struct stat s {}, d {};
    if (::stat(static_build.c_str(), &s) != 0 || ::access(static_build.c_str(), X_OK) != 0) return dynamic;
    if (::stat(dynamic.c_str(), &d) != 0) return static_build;
    const bool newer_or_same = s.st_mtim.tv_sec > d.st_mtim.tv_sec ||
                               (s.st_mtim.tv_sec == d.st_mtim.tv_sec && s.st_mtim.tv_nsec >= d.st_mtim.tv_nsec);
    return newer_or_same ? static_build : dynamic;
}

namespace {

/// What the proxy's process runs between clone and exec, prepared before
/// the clone: it shares the launcher's memory (CLONE_VM) and only makes
/// async-signal-safe calls.
struct egress_exec {
    const char* binary;
    char* const* argv;
    char* const* envp;
    int out;
    int listener;
};

#if defined(__clang__) || defined(__GNUC__)
__attribute__((no_sanitize("address", "undefined")))
#endif
int run_egress_child(void* arg) {
    const auto* x = static_cast<const egress_exec*>(arg);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(x->out, 1) < 0 || ::dup2(x->listener, 3) < 0) _exit(125);
    ::closefrom(4);
    ::execve(x->binary, x->argv, x->envp);
    _exit(127);
}

}  // namespace

result<std::string> find_egress_binary() {
    std::vector<std::string> tried;
    if (const char* e = std::getenv("BOTTLE_EGRESS"); e && e[0] == '/') {
        if (::access(e, X_OK) == 0) return std::string(e);  // as given: never swapped for a static build
        tried.emplace_back(e);
    }
    const std::size_t beside_self = tried.size();
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
    if (!ec) {
        tried.push_back((self / "bottle-egress").string());
        tried.push_back((self.parent_path() / "bottle-egress" / "bottle-egress").string());
    }
    for (std::size_t i = beside_self; i < tried.size(); ++i) {
        const auto chosen = detail::prefer_static_egress(tried[i]);
        if (::access(chosen.c_str(), X_OK) == 0) return chosen;
    }
    std::string where;
    for (const auto& t : tried) where += (where.empty() ? "" : ", ") + t;
    return make_error(errc::not_found, "bottle-egress not found (looked at " + where + ")");
}

result<egress_proxy> egress_proxy::start(const std::string& binary, int listener, const egress_routes& routes,
                                         const std::string& log_file, const std::string& bottle_id) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return make_error(errc::io_error, std::string("proxy: pipe: ") + std::strerror(errno));
    os::unique_fd read_end(out[0]), write_end(out[1]);
    std::vector<std::string> args{binary, "--listen-fd", "3"};
    for (auto& a : routes.arguments()) args.push_back(std::move(a));
    if (!log_file.empty()) args.insert(args.end(), {"--log", log_file});
    if (!bottle_id.empty()) args.insert(args.end(), {"--bottle-id", bottle_id});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // bottle-egress parses what the agent sends: it gets no environment
    // (the launcher's may hold the user's secrets), only the locale and zone.
    std::vector<std::string> env_keep;
    for (char** e = environ; e && *e; ++e)
        for (const char* k : {"LANG=", "LC_ALL=", "TZ="})
            if (std::strncmp(*e, k, std::strlen(k)) == 0) env_keep.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : env_keep) envp.push_back(e.data());
    envp.push_back(nullptr);
    // clone(CLONE_VM | CLONE_VFORK), as posix_spawn does: no copy of the
    // launcher's page tables (a fork of it took up to 5 ms before the exec
    // on a loaded machine); the launcher resumes once the exec is done. Not
    // posix_spawn itself, which cannot set the parent-death signal.
    egress_exec x{binary.c_str(), argv.data(), envp.data(), write_end.get(), listener};
    constexpr std::size_t stack_size = 64 * 1024;
    void* stack = ::mmap(nullptr, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return make_error(errc::io_error, std::string("proxy: stack: ") + std::strerror(errno));
    const pid_t pid = ::clone(run_egress_child, static_cast<char*>(stack) + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &x);
    const int clone_errno = errno;
    ::munmap(stack, stack_size);
    if (pid < 0) return make_error(errc::io_error, std::string("proxy: clone: ") + std::strerror(clone_errno));
    egress_proxy p;
    p.pid_ = pid;
    p.out_ = std::move(read_end);
    return p;
}

result<void> egress_proxy::wait_ready() {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (line.find('\n') == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) return make_error(errc::timeout, "proxy: bottle-egress did not report ready within 5 s");
        pollfd pfd{out_.get(), POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(left)) <= 0) continue;
        char buf[512];
        const ssize_t n = ::read(out_.get(), buf, sizeof buf);
        if (n <= 0) return make_error(errc::io_error, "proxy: bottle-egress exited before it was ready (see its stderr above)");
        line.append(buf, static_cast<std::size_t>(n));
    }
    if (line.find("\"listening\"") == std::string::npos)
        return make_error(errc::io_error, "proxy: unexpected first line from bottle-egress: " + line.substr(0, line.find('\n')));
    return {};
}

void egress_proxy::ask_to_stop() noexcept {
    if (pid_ <= 0 || asked_to_stop_) return;
    ::kill(pid_, SIGTERM);
    asked_to_stop_ = true;
}

void egress_proxy::stop() noexcept {
    if (pid_ <= 0) return;
    ask_to_stop();
    // Wait on a pidfd: returns as soon as it exits, SIGKILL after a second.
    os::unique_fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
    pollfd p{pidfd.get(), POLLIN, 0};
    if (!pidfd || ::poll(&p, 1, 1000) <= 0) ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {}
    pid_ = -1;
}

}  // namespace bottle::run::native
