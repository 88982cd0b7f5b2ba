// The docker spine, top to bottom in the order the bottle is built. Every
// resource is registered with the teardown guard the moment the daemon
// reports it made, so any failure or signal removes exactly what exists.
#include "bottle-run/backends/docker/launch.hpp"

#include "bottle-run/backends/docker/engine.hpp"
#include "bottle-run/backends/docker/plan.hpp"
#include "bottle-run/backends/docker/stream.hpp"
#include "bottle-run/backends/native/pty.hpp"
#include "bottle-run/backends/sidecar/sidecar_bundle.hpp"
#include "bottle-run/protected_dirs.hpp"
#include "bottle-run/run_cli.hpp"
#include "bottle-run/state.hpp"

#include "bottle/os/file.hpp"
#include "bottle/os/signals.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <thread>
#include <vector>

namespace bottle::run::docker {

namespace json = boost::json;

std::string launcher_label() {
    auto boot = os::read_file("/proc/sys/kernel/random/boot_id", 256);
    std::string b = boot ? *boot : std::string("unknown");
    while (!b.empty() && (b.back() == '\n' || b.back() == ' ')) b.pop_back();
    return b + "/" + std::to_string(::getpid());
}

namespace {

bool fault(const std::string& step) {
    const char* f = std::getenv("BOTTLE_RUN_FAULT");
    return f && step == f;
}

int failed(std::ostream& err, const std::string& step, const error& e, const std::string& remedy) {
    err << "bottle-run: docker: " << step << ": " << e.message << '\n';
    if (!remedy.empty()) err << "bottle-run: " << remedy << '\n';
    return exit_launcher_failed;
}

/// Removes what the launch made, newest first, whatever ends the launch.
class teardown {
public:
    explicit teardown(const engine& e) : engine_(e) {}
    teardown(const teardown&) = delete;
    teardown& operator=(const teardown&) = delete;
    /// Containers first (all at once), then the networks they were on (all
    /// at once): each removal is the daemon's slow part (killing, unmounting,
    /// unplugging veths, iptables), and they do not depend on each other.
    ~teardown() {
        for (const bool containers : {true, false}) {
            std::vector<std::thread> removing;
            for (const auto& [is_container, name] : made_)
                if (is_container == containers)
                    removing.emplace_back([this, c = is_container, n = name] {
                        auto r = engine_.call("DELETE", c ? "/containers/" + n + "?force=1&v=1" : "/networks/" + n, std::nullopt,
                                              std::chrono::seconds(30));
                        (void)r;  // a failure leaves a labelled leftover: gc removes it
                    });
            for (auto& t : removing) t.join();
        }
    }
    void container(const std::string& name) {
        std::lock_guard lock(mutex_);
        made_.emplace_back(true, name);
    }
    void network(const std::string& name) {
        std::lock_guard lock(mutex_);
        made_.emplace_back(false, name);
    }

private:
    const engine& engine_;
    std::mutex mutex_;
    std::vector<std::pair<bool, std::string>> made_;
};

result<void> ensure_sidecar_image(const engine& e, const std::string& binary_path, std::string& tag) {
    auto bytes = os::read_file(binary_path, 256 << 20);
    if (!bytes) return bytes.error();
    tag = sidecar::sidecar_image_tag(*bytes);
    auto have = e.call("GET", "/images/" + tag + "/json", std::nullopt, std::chrono::seconds(30));
    if (!have) return have.error();
    if (have->status == 200) return {};
    const auto colon = tag.rfind(':');
    auto r = e.call("POST", "/images/create?fromSrc=-&repo=" + url_encode(tag.substr(0, colon)) + "&tag=" + url_encode(tag.substr(colon + 1)),
                    sidecar::sidecar_rootfs_tar(*bytes), std::chrono::seconds(120), "application/x-tar");
    if (!r) return r.error();
    if (r->status != 200 || r->body.find("\"error") != std::string::npos)
        return make_error(errc::io_error, "importing the sidecar image " + tag + " failed: " + daemon_message(r->body));
    return {};
}

/// Reads the sidecar's stdout (attached before it started) until
/// bottle-egress prints its ready line.
result<void> await_ready(hijacked& h, std::chrono::milliseconds timeout) {
    frame_demuxer demux;
    std::string out;
    auto take = [&](std::string_view bytes) {
        demux.feed(bytes, [&](unsigned stream, std::string_view data) {
            if (stream == 1) out.append(data);
        });
    };
    take(h.early);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.find("{\"listening\"") == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) return make_error(errc::timeout, "the sidecar's bottle-egress did not get ready in time");
        pollfd p{h.fd.get(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
        char buf[4096];
        const ssize_t n = ::recv(h.fd.get(), buf, sizeof buf, 0);
        if (n <= 0) return make_error(errc::io_error, "the sidecar's bottle-egress exited before it was ready (docker logs shows why)");
        take(std::string_view(buf, static_cast<std::size_t>(n)));
    }
    return {};
}

void write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t w = ::write(fd, data.data(), data.size());
        if (w < 0) {
            if (errno == EINTR) continue;
            return;
        }
        data.remove_prefix(static_cast<std::size_t>(w));
    }
}

/// The protected workspace paths that were absent, created for the run
/// (read-only mount points need a source) and removed after it, deepest
/// first, only if still empty and no other launch shares the workspace
/// (protected_dirs.hpp: hold() it before the first ensure()).
class created_dirs {
public:
    created_dirs() = default;
    created_dirs(const created_dirs&) = delete;
    created_dirs& operator=(const created_dirs&) = delete;
    void hold(const std::string& workspace) { made_.hold(workspace); }
    result<void> ensure(const std::string& path) {
        struct stat st {};
        if (::lstat(path.c_str(), &st) == 0) {
            if (S_ISLNK(st.st_mode))
                return make_error(errc::invalid_argument, path + " is a symlink, which the bottle cannot keep read-only; make it a directory or remove it");
            return {};
        }
        if (errno != ENOENT) return make_error(errc::io_error, "lstat " + path + ": " + std::strerror(errno));
        const auto slash = path.rfind('/');
        if (slash != std::string::npos && slash > 0)
            if (auto r = ensure(path.substr(0, slash)); !r) return r;
        if (::mkdir(path.c_str(), 0755) != 0) {
            if (errno == EEXIST) return {};  // another launch made it: not ours to remove
            return make_error(errc::io_error, "mkdir " + path + ": " + std::strerror(errno));
        }
        made_.add(path);
        return {};
    }

private:
    created_protected_dirs made_;
};

int status_of_start_error(const std::string& message) {
    if (message.find("executable file not found") != std::string::npos || message.find("no such file or directory") != std::string::npos)
        return exit_not_found;
    if (message.find("permission denied") != std::string::npos) return exit_cannot_run;
    return exit_launcher_failed;
}

}  // namespace

int launch(const manifest::bottle_spec& bottle, const native::native_plan& base, const launch_options& o, std::ostream& out,
           std::ostream& err) {
    // Signals are data from here on, as in the native spine.
    auto blocked = os::blocked_signals::block({SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGPIPE});
    if (!blocked) return failed(err, "signals", blocked.error(), "");
    auto signals = os::signal_fd::open({SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH});
    if (!signals) return failed(err, "signals", signals.error(), "");

    if (o.image.empty())  // before anything is asked of the daemon
        return failed(err, "image", make_error(errc::invalid_argument, "no agent image given"),
                      "name a local image: --image IMAGE (or BOT_BOTTLE_DOCKER_IMAGE; used as is, never pulled), or give the "
                      "bottle a \"dockerfile\" (docs/docker-backend.md, Images)");
    auto host = o.env.find("DOCKER_HOST");
    auto ep = endpoint_from(host == o.env.end() ? std::nullopt : std::optional<std::string>(host->second));
    if (!ep) return failed(err, "daemon", ep.error(), "set DOCKER_HOST=unix:///path/to/docker.sock");
    const engine e(*ep);

    // 1. What the daemon offers: gVisor, and the subnets already in use.
    auto info = e.call_json("GET", "/info", std::nullopt, std::chrono::seconds(30));
    // A dry run shows the plan without a daemon too (runtime and subnet are then the daemon-less guesses).
    const bool daemon = static_cast<bool>(info);
    if (!daemon && !o.dry_run) return failed(err, "daemon", info.error(), "start the daemon, or point DOCKER_HOST at it (bottle-preflight checks it)");
    docker_request req;
    req.image = o.image;
    req.launcher = launcher_label();
    if (auto s = o.env.find("BOT_BOTTLE_DOCKER_SUBNET"); s != o.env.end() && !s->second.empty()) req.fixed_subnet = s->second;
    auto rt = daemon ? choose_runtime(*info, o.require_gvisor)
                     : result<runtime_choice>(runtime_choice{"", "no daemon answered at " + ep->spec + ": the runtime is chosen at launch"});
    if (!rt) return failed(err, "runtime", rt.error(), "");
    req.runtime = *rt;
    if (base.proxy) {
        auto nets = daemon ? e.call_json("GET", "/networks", std::nullopt, std::chrono::seconds(30)) : result<json::value>(json::array{});
        if (!nets) return failed(err, "networks", nets.error(), "");
        if (nets->is_array())
            for (const auto& n : nets->get_array())
                if (const auto* ipam = n.as_object().if_contains("IPAM"))
                    if (const auto* cfg = ipam->as_object().if_contains("Config"); cfg && cfg->is_array())
                        for (const auto& c : cfg->get_array())
                            if (const auto* s = c.as_object().if_contains("Subnet"); s && s->is_string()) req.existing_subnets.emplace_back(s->get_string());
        // 2. The sidecar image, from the static bottle-egress.
        auto binary = sidecar::find_static_egress(o.env);
        if (!binary) return failed(err, "sidecar image", binary.error(), "");
        if (auto r = o.dry_run ? result<void>() : ensure_sidecar_image(e, *binary, req.sidecar_image); !r) return failed(err, "sidecar image", r.error(), "");
        if (o.dry_run) {
            auto bytes = os::read_file(*binary, 256 << 20);
            if (bytes) req.sidecar_image = sidecar::sidecar_image_tag(*bytes);
        }
    }
    auto plan = plan_for(bottle, base, req, o.home);
    if (!plan) return failed(err, "plan", plan.error(), "");
    if (o.dry_run) {
        out << json::serialize(to_json(*plan)) << '\n';
        return 0;
    }

    created_dirs protected_dirs;  // removed after the containers (declared first: destroyed last)
    for (const auto& m : base.mounts)
        if (m.target == native::workspace_path) protected_dirs.hold(m.source);
    for (const auto& d : plan->create_dirs)
        if (auto r = protected_dirs.ensure(d); !r) return failed(err, "workspace", r.error(), "");
    teardown made(e);
    auto create = [&](const std::string& what, const std::string& target, const json::value& body) -> result<void> {
        if (fault("docker-" + what)) return make_error(errc::internal, "injected fault (BOTTLE_RUN_FAULT)");
        auto r = e.call_json("POST", target, json::serialize(body), std::chrono::seconds(60));
        if (!r) return r.error();
        return {};
    };
    // 3. Networks, both at once.
    {
        std::vector<result<void>> results(plan->networks.size());
        std::vector<std::thread> creating;
        for (std::size_t i = 0; i < plan->networks.size(); ++i)
            creating.emplace_back([&, i] {
                const auto& n = plan->networks[i];
                results[i] = create("network", "/networks/create", n.create);
                if (results[i]) made.network(n.name);
            });
        for (auto& t : creating) t.join();
        for (std::size_t i = 0; i < results.size(); ++i)
            if (!results[i]) return failed(err, "network " + plan->networks[i].name, results[i].error(), "");
    }
    // 4. The sidecar: created on the internal network, connected to the
    // outbound one, attached, started, its ready line awaited — in a thread,
    // while the agent is created and attached here (it starts only after).
    std::optional<std::pair<std::string, error>> sidecar_failed;
    std::thread sidecar_thread;
    if (plan->sidecar)
        sidecar_thread = std::thread([&] {
            const auto& s = *plan->sidecar;
            auto fail_with = [&](const error& x, const std::string& remedy) { sidecar_failed.emplace(remedy, x); };
            if (auto r = create("sidecar", "/containers/create?name=" + s.name, s.create); !r)
                return fail_with(r.error(), "check the daemon can run the sidecar image (docker logs " + s.name + ")");
            made.container(s.name);
            if (auto r = e.call_json("POST", "/networks/" + plan->sidecar_out_network + "/connect", json::serialize(json::object{{"Container", s.name}})); !r)
                return fail_with(r.error(), "");
            auto att = e.hijack("/containers/" + s.name + "/attach?stream=1&stdout=1");
            if (!att) return fail_with(att.error(), "");
            if (auto r = e.call_json("POST", "/containers/" + s.name + "/start"); !r) return fail_with(r.error(), "");
            if (auto r = fault("docker-ready") ? result<void>(make_error(errc::internal, "injected fault (BOTTLE_RUN_FAULT)")) : await_ready(*att, std::chrono::seconds(10)); !r)
                return fail_with(r.error(), "docker logs " + s.name + " shows the proxy's own message");
        });
    struct joiner {
        std::thread& t;
        ~joiner() {
            if (t.joinable()) t.join();
        }
    } join_sidecar{sidecar_thread};
    // 5. The agent: created, attached before it starts (nothing it writes is lost), started.
    if (auto r = create("agent", "/containers/create?name=" + plan->agent.name, with_credentials(*plan)); !r) {
        if (r.error().code == errc::not_found)
            return failed(err, "agent", r.error(), "the image " + o.image + " is not on the daemon: build or import it (bottle-run never pulls)");
        return failed(err, "agent", r.error(), "");
    }
    made.container(plan->agent.name);
    const std::string agent = "/containers/" + plan->agent.name;
    auto att = e.hijack(agent + "/attach?stream=1&stdin=1&stdout=1&stderr=1");
    if (!att) return failed(err, "agent", att.error(), "");
    if (sidecar_thread.joinable()) sidecar_thread.join();
    if (sidecar_failed) return failed(err, "sidecar", sidecar_failed->second, sidecar_failed->first);
    std::optional<native::raw_terminal> raw;
    auto resize = [&] {
        winsize ws{};
        if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
            (void)e.call("POST", agent + "/resize?h=" + std::to_string(ws.ws_row) + "&w=" + std::to_string(ws.ws_col));
    };
    {
        auto r = fault("docker-start") ? result<json::value>(make_error(errc::internal, "injected fault (BOTTLE_RUN_FAULT)"))
                                       : e.call_json("POST", agent + "/start");
        if (!r) {
            const int code = status_of_start_error(r.error().message);
            if (code != exit_launcher_failed) {
                err << "bottle-run: " << base.argv.front() << ": cannot run in the bottle: " << r.error().message << '\n';
                return code;
            }
            return failed(err, "agent", r.error(), "");
        }
    }
    if (plan->interactive) {
        resize();
        if (auto r = native::raw_terminal::enter(STDIN_FILENO); r) raw.emplace(std::move(*r));
    }
    // 6. State, so ls and stop see the bottle (stop signals this launcher).
    state_record rec{base.bottle_id, ::getpid(), -1, -1, base.bottle_name, base.argv, {}, static_cast<long long>(std::time(nullptr))};
    const bool have_state = static_cast<bool>(write_state(o.state_dir, rec));
    struct state_guard {
        bool on;
        std::string dir, id;
        ~state_guard() {
            if (on) remove_state(dir, id);
        }
    } state{have_state, o.state_dir, base.bottle_id};

    // 7. Relay until the agent's stream ends; forward signals to it.
    frame_demuxer demux;
    auto deliver = [&](std::string_view bytes) {
        if (plan->interactive) return write_all(STDOUT_FILENO, bytes);
        demux.feed(bytes, [&](unsigned stream, std::string_view data) { write_all(stream == 2 ? STDERR_FILENO : STDOUT_FILENO, data); });
    };
    deliver(att->early);
    bool user_open = true, stream_open = true;
    const int sock = att->fd.get();
    while (stream_open) {
        pollfd fds[3] = {{signals->get(), POLLIN, 0}, {user_open ? STDIN_FILENO : -1, POLLIN, 0}, {sock, POLLIN, 0}};
        if (::poll(fds, 3, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[1].revents) {
            char buf[16384];
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n > 0) write_all(sock, std::string_view(buf, static_cast<std::size_t>(n)));
            else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                user_open = false;
                ::shutdown(sock, SHUT_WR);  // the agent's stdin reaches end of file
            }
        }
        if (fds[2].revents) {
            char buf[65536];
            const ssize_t n = ::recv(sock, buf, sizeof buf, 0);
            if (n > 0) deliver(std::string_view(buf, static_cast<std::size_t>(n)));
            else if (n == 0 || (errno != EINTR && errno != EAGAIN)) stream_open = false;
        }
        if (fds[0].revents) {
            auto sig = signals->wait(std::chrono::milliseconds(0));
            if (!sig || !*sig) continue;
            if (**sig == SIGWINCH) {
                if (plan->interactive) resize();
                continue;
            }
            // To the container's init, which forwards it to the agent.
            (void)e.call("POST", agent + "/kill?signal=" + std::to_string(**sig), std::nullopt, std::chrono::seconds(10));
        }
    }
    raw.reset();
    // 8. The exit code; teardown follows when `made` goes out of scope.
    auto waited = e.call_json("POST", agent + "/wait", std::nullopt, std::chrono::seconds(60));
    if (!waited) return failed(err, "wait", waited.error(), "");
    const auto* code = waited->is_object() ? waited->get_object().if_contains("StatusCode") : nullptr;
    if (!code || !code->is_int64()) return failed(err, "wait", make_error(errc::parse_error, "no StatusCode in the daemon's reply"), "");
    return static_cast<int>(code->get_int64());
}

}  // namespace bottle::run::docker
