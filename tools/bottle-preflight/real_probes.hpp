// tools/bottle-preflight/real_probes.hpp — system_probes on the real OS.
//
// Commands run through posix_spawn in their own process group with a
// poll()-driven deadline; at the deadline the group is SIGKILLed and reaped
// (waiting at most 2 s more for the reap), so a stuck `docker` or `smolvm`
// can never hang preflight. Output is capped at 256 KiB per stream (the rest is
// read and dropped so the child never blocks on a full pipe). The unix-socket
// client talks only to a local socket path; it never resolves or dials a host.
#pragma once

#include "system_probes.hpp"
#include "unix_http.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>

extern char** environ;

namespace bottle::preflight {

namespace detail {

inline constexpr std::size_t max_captured_output = 256 * 1024;

class fd_guard {
public:
    explicit fd_guard(int fd = -1) noexcept : fd_(fd) {}
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    ~fd_guard() { reset(); }
    void reset() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    [[nodiscard]] int get() const noexcept { return fd_; }

private:
    int fd_;
};

inline std::string errno_text(int e) { return std::strerror(e); }


}  // namespace detail

class real_probes final : public system_probes {
public:
    result<std::string> read_file(const std::string& path) override {
        detail::fd_guard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (fd.get() < 0) {
            const int e = errno;
            const auto code = e == ENOENT || e == ENOTDIR ? errc::not_found
                              : e == EACCES || e == EPERM ? errc::permission_denied
                                                          : errc::io_error;
            return make_error(code, "cannot open " + path + ": " + detail::errno_text(e));
        }
        std::string data;
        char buf[8192];
        for (;;) {
            const ssize_t n = ::read(fd.get(), buf, sizeof buf);
            if (n < 0) {
                if (errno == EINTR) continue;
                return make_error(errc::io_error, "cannot read " + path + ": " + detail::errno_text(errno));
            }
            if (n == 0) break;
            data.append(buf, static_cast<std::size_t>(n));
            if (data.size() > max_probe_file_bytes)
                return make_error(errc::limit_exceeded, path + " is larger than the limit of " +
                                                            std::to_string(max_probe_file_bytes) + " bytes");
        }
        return data;
    }

    result<file_status> stat(const std::string& path) override {
        struct ::stat st {};
        if (::stat(path.c_str(), &st) != 0) {
            if (errno == ENOENT || errno == ENOTDIR) return file_status{};
            return make_error(errno == EACCES ? errc::permission_denied : errc::io_error,
                              "cannot stat " + path + ": " + detail::errno_text(errno));
        }
        file_status s;
        s.size = static_cast<std::uint64_t>(st.st_size);
        s.kind = S_ISREG(st.st_mode)    ? file_kind::regular
                 : S_ISDIR(st.st_mode)  ? file_kind::directory
                 : S_ISSOCK(st.st_mode) ? file_kind::socket
                 : S_ISCHR(st.st_mode)  ? file_kind::character_device
                                        : file_kind::other;
        return s;
    }

    std::optional<std::string> find_in_path(const std::string& name) override {
        if (name.empty() || name.find('/') != std::string::npos) return std::nullopt;
        const char* path_env = std::getenv("PATH");
        const std::string_view path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
        std::size_t start = 0;
        while (start <= path.size()) {
            const std::size_t end = std::min(path.find(':', start), path.size());
            std::string dir(path.substr(start, end - start));
            start = end + 1;
            if (dir.empty()) continue;  // "." entries are ignored on purpose: never run a binary from the cwd
            if (dir.front() != '/') continue;
            const std::string candidate = dir + "/" + name;
            struct ::stat st {};
            if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
                return candidate;
        }
        return std::nullopt;
    }

    result<command_output> run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) override {
        if (argv.empty() || argv.front().empty() || argv.front().front() != '/')
            return make_error(errc::invalid_argument, "run: argv[0] must be an absolute path");
        int out_pipe[2], err_pipe[2];
        if (::pipe2(out_pipe, O_CLOEXEC) != 0)
            return make_error(errc::io_error, "pipe: " + detail::errno_text(errno));
        detail::fd_guard out_r(out_pipe[0]), out_w(out_pipe[1]);
        if (::pipe2(err_pipe, O_CLOEXEC) != 0)
            return make_error(errc::io_error, "pipe: " + detail::errno_text(errno));
        detail::fd_guard err_r(err_pipe[0]), err_w(err_pipe[1]);

        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attr;
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
        posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
        sigset_t empty, defaults;
        sigemptyset(&empty);
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGPIPE);
        posix_spawnattr_setsigmask(&attr, &empty);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawnattr_setpgroup(&attr, 0);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        std::vector<std::string> env_store;
        for (char** e = environ; e && *e; ++e) {
            if (std::strncmp(*e, "LC_ALL=", 7) != 0) env_store.emplace_back(*e);
        }
        env_store.emplace_back("LC_ALL=C");
        std::vector<char*> envp;
        for (auto& e : env_store) envp.push_back(e.data());
        envp.push_back(nullptr);

        pid_t pid = -1;
        const int rc = ::posix_spawn(&pid, argv.front().c_str(), &actions, &attr, args.data(), envp.data());
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        if (rc != 0) return make_error(errc::io_error, "cannot start " + argv.front() + ": " + detail::errno_text(rc));
        out_w.reset();
        err_w.reset();

        command_output result;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        bool out_open = true, err_open = true, exited = false;
        int status = 0;
        std::chrono::steady_clock::time_point drain_until{};
        while (out_open || err_open) {
            if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) {
                exited = true;
                // A grandchild may hold the pipes open: drain briefly, then stop.
                drain_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
            }
            const auto now = std::chrono::steady_clock::now();
            if (exited && now >= drain_until) break;
            if (!exited && now >= deadline) break;
            pollfd fds[2] = {{out_open ? out_r.get() : -1, POLLIN, 0}, {err_open ? err_r.get() : -1, POLLIN, 0}};
            const int wait_ms = std::min(50, detail::ms_left(exited ? drain_until : deadline));
            const int n = ::poll(fds, 2, wait_ms);
            if (n < 0 && errno != EINTR) break;
            for (int i = 0; i < 2 && n > 0; ++i) {
                if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
                char buf[8192];
                const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
                if (got <= 0) {
                    (i == 0 ? out_open : err_open) = false;
                    continue;
                }
                std::string& sink = i == 0 ? result.out : result.err;
                const std::size_t room = detail::max_captured_output - std::min(sink.size(), detail::max_captured_output);
                sink.append(buf, std::min(room, static_cast<std::size_t>(got)));
            }
        }
        if (!exited) {
            // Pipes closed or deadline reached: give the child until the
            // deadline to exit, then kill its process group and reap it.
            while (std::chrono::steady_clock::now() < deadline) {
                if (::waitpid(pid, &status, WNOHANG) == pid) { exited = true; break; }
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            if (!exited) {
                result.timed_out = true;
                ::kill(-pid, SIGKILL);
                ::kill(pid, SIGKILL);
                const auto reap_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
                while (std::chrono::steady_clock::now() < reap_deadline) {
                    if (::waitpid(pid, &status, WNOHANG) == pid) break;
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
                }
            }
        }
        if (exited && !result.timed_out && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
        return result;
    }

    int open_read_write(const std::string& path) override {
        const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) return errno;
        ::close(fd);
        return 0;
    }

    syscall_outcome landlock_abi_version() override {
#if defined(__linux__)
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
        constexpr unsigned create_ruleset_version = 1U << 0;  // LANDLOCK_CREATE_RULESET_VERSION
        const long v = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, create_ruleset_version);
        if (v < 0) return {-1, errno};
        return {v, 0};
#else
        return {-1, ENOSYS};
#endif
    }

    result<http_reply> unix_http_get(const std::string& socket_path, const std::string& target,
                                     std::chrono::milliseconds timeout) override {
        return local_unix_http_get(socket_path, target, timeout);
    }

    std::optional<std::string> getenv(const std::string& name) override {
        const char* v = std::getenv(name.c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    }

    unsigned effective_uid() override { return static_cast<unsigned>(::geteuid()); }

    std::string os_name() override {
        struct ::utsname u {};
        if (::uname(&u) != 0) return "unknown";
        return u.sysname;
    }
};

}  // namespace bottle::preflight
