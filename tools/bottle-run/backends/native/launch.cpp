// The launch spine: apply the plan, one step at a time, readable top to
// bottom in the order the bottle is built. Launcher-side steps own what they
// build (cgroup, child, proxy, state file) so any failure unwinds all of it.
#include "bottle-run/backends/native/launch.hpp"

#include "bottle-run/backends/native/proxy.hpp"
#include "bottle-run/backends/native/pty.hpp"
#include "bottle-run/backends/native/steps.hpp"
#include "bottle-run/protected_dirs.hpp"
#include "bottle-run/run_cli.hpp"
#include "bottle-run/state.hpp"

#include "bottle/os/fd_passing.hpp"
#include "bottle/os/signals.hpp"
#include "bottle/os/unique_fd.hpp"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <span>

namespace bottle::run::native {

namespace {

bool fault(const char* step) {
    const char* f = std::getenv("BOTTLE_RUN_FAULT");
    return f && std::strcmp(f, step) == 0;
}

result<void> injected(const char* step) { return make_error(errc::internal, std::string(step) + ": injected fault (BOTTLE_RUN_FAULT)"); }

/// The bottle's PID 1 as seen from the host: killed and reaped unless it
/// already exited.
class child_process {
public:
    explicit child_process(pid_t pid) noexcept : pid_(pid) {}
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {}
    }
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    void reaped() noexcept { pid_ = -1; }

private:
    pid_t pid_;
};

// --- the child: runs in the new namespaces until it becomes PID 1 ----------

[[noreturn]] void child_fail(int sync, const error& e) {
    const std::string msg = "error:" + e.message;
    (void)::send(sync, msg.data(), msg.size(), MSG_NOSIGNAL);
    _exit(exit_launcher_failed);
}

std::string receive_word(int sync) {
    char buf[64];
    const ssize_t n = ::recv(sync, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

[[noreturn]] void child_main(native_plan plan, int sync, int tty) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the bottle dies with its launcher
    if (receive_word(sync) != "maps") _exit(exit_launcher_failed);
    auto check = [&](result<void> r) {
        if (!r) child_fail(sync, r.error());
    };
    check(take_agent_ids(plan));
    check(fault("hostname") ? injected("hostname")
          : ::sethostname(plan.hostname.data(), plan.hostname.size()) == 0
              ? result<void>()
              : make_error(errc::io_error, std::string("uts: sethostname: ") + std::strerror(errno)));
    check(fault("loopback") ? injected("loopback") : bring_up_loopback());
    if (plan.proxy) {
        std::uint16_t port = 0;
        auto listener = fault("listener") ? result<os::unique_fd>(injected("listener").error()) : make_proxy_listener(port);
        if (!listener) child_fail(sync, listener.error());
        const int fd = listener->get();
        check(os::send_fds(sync, std::span<const int>(&fd, 1), "listener:" + std::to_string(port)));
        use_proxy_port(plan, port);
    }
    if (receive_word(sync) != "go") _exit(exit_launcher_failed);
    check(fault("filesystem") ? injected("filesystem") : build_filesystem(plan));
    run_init(plan, sync, tty);
}

// --- the launcher ------------------------------------------------------------

int failed(std::ostream& err, const error& e, const std::string& remedy) {
    err << "bottle-run: launch failed: " << e.message << '\n';
    if (!remedy.empty()) err << "bottle-run: " << remedy << '\n';
    return exit_launcher_failed;
}

std::string remedy_for(const std::string& message) {
    if (message.rfind("user:", 0) == 0 || message.find("clone") != std::string::npos)
        return "user namespaces may be restricted here: run `bottle-run explain`";
    if (message.rfind("cgroup:", 0) == 0) return "the bottle sets resources this host cannot enforce; run `bottle-run explain`";
    if (message.rfind("mount:", 0) == 0) return "check that the workspace and the manifest's mounts exist on the host";
    if (message.rfind("proxy:", 0) == 0) return "build bottle-egress (cmake --build ... --target bottle-egress) or set BOTTLE_EGRESS";
    return "";
}

}  // namespace

int launch(const native_plan& plan, const host_facts& facts, std::ostream& err) {
    // Signals are data from here on: blocked, read from a signalfd, forwarded.
    auto blocked = os::blocked_signals::block({SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGWINCH});
    if (!blocked) return failed(err, blocked.error(), "");
    auto signals = os::signal_fd::open({SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGWINCH});
    if (!signals) return failed(err, signals.error(), "");

    std::string egress_binary;
    if (plan.proxy) {
        auto found = fault("proxy") ? result<std::string>(injected("proxy").error()) : find_egress_binary();
        if (!found) return failed(err, found.error(), "build bottle-egress or set BOTTLE_EGRESS=/path/to/bottle-egress");
        egress_binary = *found;
    }

    // 1. cgroup: limits exist before anything runs in the bottle.
    auto cgroup = fault("cgroup") ? result<bottle_cgroup>(injected("cgroup").error()) : bottle_cgroup::create(plan);
    if (!cgroup) return failed(err, cgroup.error(), remedy_for(cgroup.error().message));

    // 2. the agent's own terminal, when the user's stdin is one.
    pty_pair pty;
    if (plan.interactive) {
        auto p = fault("pty") ? result<pty_pair>(injected("pty").error()) : open_pty(STDIN_FILENO);
        if (!p) return failed(err, p.error(), "");
        pty = std::move(*p);
    }

    // The protected workspace paths the bottle creates on the host (empty,
    // under a read-only mount) go again when it ends, if still empty and no
    // other launch shares the workspace (protected_dirs.hpp).
    created_protected_dirs created;
    for (const auto& m : plan.mounts)
        if (m.target == workspace_path) created.hold(m.source);
    for (const auto& m : plan.mounts) {
        struct stat st {};
        if ((m.kind == mount_kind::protect || m.kind == mount_kind::pin) && ::lstat(m.source.c_str(), &st) != 0 && errno == ENOENT)
            created.add(m.source);
    }

    // 3. clone into every namespace at once; the child waits for its maps.
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
        return failed(err, make_error(errc::io_error, std::string("socketpair: ") + std::strerror(errno)), "");
    os::unique_fd sync(pair[0]), child_end(pair[1]);
    const unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
    const long pid = fault("clone") ? (errno = EPERM, -1) : ::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid < 0)
        return failed(err, make_error(errc::permission_denied, std::string("clone into new namespaces: ") + std::strerror(errno)),
                      remedy_for("clone"));
    if (pid == 0) {
        sync.reset();
        pty.master.reset();
        child_main(plan, child_end.release(), pty.slave.get());
    }
    child_end.reset();
    pty.slave.reset();
    child_process child(static_cast<pid_t>(pid));

    // 4. identity: the child's uid/gid maps; then it may proceed.
    if (auto r = fault("maps") ? injected("maps") : write_id_maps(child.pid(), plan); !r) return failed(err, r.error(), remedy_for("user:"));
    if (auto r = cgroup->add(child.pid()); !r) return failed(err, r.error(), remedy_for("cgroup:"));
    if (::send(sync.get(), "maps", 4, MSG_NOSIGNAL) != 4) return failed(err, make_error(errc::io_error, "the bottle's child is gone"), "");

    // 5. network: the child's listener, served by bottle-egress out here.
    std::optional<egress_proxy> proxy;
    const std::string state_dir = facts.runtime_dir.empty() ? state_directory() : facts.runtime_dir;
    auto child_error = [&](const std::string& payload) {
        const std::string msg = payload.rfind("error:", 0) == 0 ? payload.substr(6) : "the bottle's child exited during set-up";
        return failed(err, make_error(errc::io_error, msg), remedy_for(msg));
    };
    // The child builds its filesystem while the proxy starts: "go" first,
    // since the spawn returns only once bottle-egress is exec'd. If the
    // spawn fails, the bottle is torn down (child_process) before its agent
    // can have used a proxy it never had.
    if (plan.proxy) {
        auto got = os::receive_fds(sync.get(), 1, 4096);
        if (!got) return child_error("");
        if (got->fds.size() != 1 || got->payload.rfind("listener:", 0) != 0) return child_error(got->payload);
        if (::send(sync.get(), "go", 2, MSG_NOSIGNAL) != 2) return failed(err, make_error(errc::io_error, "the bottle's child is gone"), "");
        std::error_code ec;
        std::filesystem::create_directories(state_dir, ec);
        auto started = egress_proxy::start(egress_binary, got->fds[0].get(), plan.egress, state_dir + "/" + plan.bottle_id + ".egress.log", plan.bottle_id);
        if (!started) return failed(err, started.error(), remedy_for("proxy:"));
        proxy.emplace(std::move(*started));
    } else if (::send(sync.get(), "go", 2, MSG_NOSIGNAL) != 2) {
        return failed(err, make_error(errc::io_error, "the bottle's child is gone"), "");
    }

    // 6. filesystem and PID 1 run in the child; it reports "running".
    // Meanwhile the proxy starts: until it is ready the kernel queues the
    // agent's connections on the listener; if it never is, the bottle goes.
    {
        char buf[4096];
        const ssize_t n = ::recv(sync.get(), buf, sizeof buf, 0);
        const std::string word = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
        if (word != "running") return child_error(word);
    }
    // The proxy's ready line is awaited in the wait loop below, next to the
    // agent: an agent that is done before the proxy is ready (`true`) does
    // not wait for it; one that runs on is torn down (125) if the proxy
    // exits, says something else, or is not ready within 5 s.
    std::string proxy_line;
    bool proxy_pending = proxy.has_value();
    const auto proxy_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);

    // 7. state, so ls/stop/gc see the bottle.
    state_record rec{plan.bottle_id, ::getpid(), child.pid(), proxy ? proxy->pid() : -1, plan.bottle_name, plan.argv, cgroup->dirs(),
                     static_cast<long long>(std::time(nullptr))};
    if (auto r = fault("state") ? injected("state") : write_state(state_dir, rec); !r)
        return failed(err, r.error(), "make " + state_dir + " writable, or set XDG_RUNTIME_DIR");
    struct state_guard {
        std::string dir, id;
        ~state_guard() { remove_state(dir, id); }
    } state{state_dir, plan.bottle_id};

    // 8. wait: forward signals to PID 1 (which forwards to the agent); with
    // a pty, relay the user's terminal (raw) to it and back.
    std::optional<raw_terminal> raw;
    if (pty.master) {
        if (auto r = raw_terminal::enter(STDIN_FILENO); r) raw.emplace(std::move(*r));
    }
    bool user_open = static_cast<bool>(pty.master), agent_open = static_cast<bool>(pty.master);
    int code = exit_launcher_failed;
    while (true) {
        pollfd fds[4] = {{signals->get(), POLLIN, 0},
                         {user_open ? STDIN_FILENO : -1, POLLIN, 0},
                         {agent_open ? pty.master.get() : -1, POLLIN, 0},
                         {proxy_pending ? proxy->ready_fd() : -1, POLLIN, 0}};
        int timeout = -1;
        if (proxy_pending) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(proxy_deadline - std::chrono::steady_clock::now()).count();
            if (left <= 0) return failed(err, make_error(errc::timeout, "proxy: bottle-egress did not report ready within 5 s"), remedy_for("proxy:"));
            timeout = static_cast<int>(left);
        }
        if (::poll(fds, 4, timeout) < 0) {
            if (errno == EINTR) continue;
            return failed(err, make_error(errc::io_error, std::string("poll: ") + std::strerror(errno)), "");
        }
        if (fds[3].revents) {
            char buf[512];
            const ssize_t n = ::read(proxy->ready_fd(), buf, sizeof buf);
            if (n <= 0)
                return failed(err, make_error(errc::io_error, "proxy: bottle-egress exited before it was ready (see its stderr above)"),
                              remedy_for("proxy:"));
            proxy_line.append(buf, static_cast<std::size_t>(n));
            if (const auto nl = proxy_line.find('\n'); nl != std::string::npos) {
                if (proxy_line.find("\"listening\"") == std::string::npos)
                    return failed(err, make_error(errc::io_error, "proxy: unexpected first line from bottle-egress: " + proxy_line.substr(0, nl)),
                                  remedy_for("proxy:"));
                proxy_pending = false;
            }
        }
        if (fds[1].revents) user_open = pump(STDIN_FILENO, pty.master.get());
        if (fds[2].revents) agent_open = pump(pty.master.get(), STDOUT_FILENO);
        if (!fds[0].revents) continue;
        auto sig = signals->wait(std::chrono::milliseconds(0));
        if (!sig) return failed(err, sig.error(), "");
        if (!*sig) continue;
        if (**sig == SIGWINCH) {
            if (pty.master) copy_window_size(STDIN_FILENO, pty.master.get());
            else ::kill(child.pid(), SIGWINCH);
            continue;
        }
        if (**sig != SIGCHLD) {
            ::kill(child.pid(), **sig);
            continue;
        }
        int status = 0;
        const pid_t r = ::waitpid(child.pid(), &status, WNOHANG);
        if (r == child.pid()) {
            child.reaped();
            code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
    }
    // The bottle is gone: the proxy winds down while the rest is torn down.
    if (proxy) proxy->ask_to_stop();
    // What the agent wrote last is still in the pty: pass it on.
    while (agent_open) {
        pollfd p{pty.master.get(), POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) break;
        agent_open = pump(pty.master.get(), STDOUT_FILENO);
    }
    // 8. teardown: proxy, cgroup and state go with their owners' scopes.
    return code;
}

}  // namespace bottle::run::native
