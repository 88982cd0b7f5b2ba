// The docker spine, top to bottom in the order the bottle is built. Every
// resource is registered with the teardown guard the moment the daemon
// reports it made, so any failure or signal removes exactly what exists.
#include "bottle-run/backends/docker/launch.hpp"

#include "bottle-run/backends/docker/engine.hpp"
#include "bottle-run/backends/docker/plan.hpp"
#include "bottle-run/backends/docker/pool.hpp"
#include "bottle-run/backends/docker/reaper.hpp"
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

#include <fcntl.h>
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
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace bottle::run::docker {

namespace json = boost::json;

std::string boot_id() {
    auto boot = os::read_file("/proc/sys/kernel/random/boot_id", 256);
    std::string b = boot ? *boot : std::string("unknown");
    while (!b.empty() && (b.back() == '\n' || b.back() == ' ')) b.pop_back();
    return b;
}

std::string launcher_label() { return boot_id() + "/" + std::to_string(::getpid()); }

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

/// The teardown when there is no reaper process (BOTTLE_RUN_FAULT=docker-no-reaper,
/// which tests use to leave what a killed launcher leaves): in-process, at scope exit.
struct teardown_here {
    const engine& daemon;
    reap_list what;
    bool on = false;
    ~teardown_here() {
        if (on) remove_bottle(daemon, what);
    }
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

/// Writes all of `data`; false when the peer is gone.
bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t w = ::write(fd, data.data(), data.size());
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(w));
    }
    return true;
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
    [[nodiscard]] const std::vector<std::string>& made() const noexcept { return made_.made(); }

private:
    created_protected_dirs made_;
};

/// bottle-agent-start: $BOTTLE_AGENT_START (that file only), else next to
/// bottle-run; only a static program (it runs inside any image). Absent: "" (the agent then
/// starts only after the sidecar is ready, and may see a terminal without a
/// size for its first moments).
std::string find_agent_start(const std::map<std::string, std::string>& env) {
    std::vector<std::string> tried;
    std::error_code ec;
    if (auto it = env.find("BOTTLE_AGENT_START"); it != env.end() && !it->second.empty()) tried.push_back(it->second);  // that one only
    else if (const auto self = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path(); !ec)
        tried.push_back((self / "bottle-agent-start").string());
    for (const auto& t : tried)
        if (auto bytes = os::read_file(t, 16 << 20); bytes && sidecar::is_static_elf(*bytes)) return t;
    return "";
}

/// The sidecar's side of a routed launch: the topology (plan.hpp), the
/// pool's size, the entry claimed from it or found broken, the socket's host
/// directory. Until the reaper holds them (handed_over), a launch that
/// returns early removes here what it claimed or made, so nothing waits for gc.
struct routed_sidecar {
    bool socket_topology = false;
    unsigned keep = 0;
    std::optional<pool_entry> pooled{}, broken{};
    std::string dir{};
    bool made_dir = false;
    const engine* daemon = nullptr;
    bool handed_over = false;

    routed_sidecar() = default;
    routed_sidecar(const routed_sidecar&) = delete;
    routed_sidecar& operator=(const routed_sidecar&) = delete;
    ~routed_sidecar() {
        if (handed_over) return;
        for (const auto* entry : {&pooled, &broken})
            if (*entry && daemon) remove_pooled(*daemon, **entry);
        std::error_code ec;
        if (made_dir) std::filesystem::remove_all(dir, ec);
    }
    /// What the reaper removes of it: the entries' networks and files, and a
    /// broken entry's container (a claimed one's is the plan's sidecar already).
    void add_to(reap_list& reap) const {
        if (broken) reap.containers.push_back(broken->container);
        for (const auto* entry : {&broken, &pooled}) {
            if (!*entry) continue;
            for (const auto* n : {&(*entry)->network, &(*entry)->internal_network})
                if (!n->empty()) reap.networks.push_back(*n);
            for (auto& f : pool_entry_files(**entry)) reap.files.push_back(std::move(f));
        }
        if (made_dir) reap.files.push_back(dir);
    }
};

/// The provider's login files, copied for this launch to `dir`/0, 1, ...
/// (the plan binds each read-only; bottle-agent-start --login puts it into
/// the agent's HOME): readable by the agent's user only where root
/// launches (owned by it, 0400), else 0444 inside the user's 0700 state
/// directory. The reaper removes them with the bottle.
result<void> write_login_copies(const std::string& dir, const native::native_plan& base) {
    if (::mkdir(dir.c_str(), 0700) != 0) return make_error(errc::io_error, "mkdir " + dir + ": " + std::strerror(errno));
    std::size_t i = 0;
    for (const auto& [relative, content] : base.credential_files) {
        const std::string path = dir + "/" + std::to_string(i++);
        const os::unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400));
        if (!fd || !write_all(fd.get(), content)) return make_error(errc::io_error, "write " + path + ": " + std::strerror(errno));
        const bool owned = ::geteuid() == 0 && ::fchown(fd.get(), base.agent_uid, base.agent_gid) == 0;
        if (!owned && ::fchmod(fd.get(), 0444) != 0) return make_error(errc::io_error, "chmod " + path + ": " + std::strerror(errno));
    }
    return {};
}

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

    // 1. What the daemon offers (gVisor; the subnets in use) and the sidecar
    // image: independent round trips, asked at once.
    std::optional<result<json::value>> nets;
    std::optional<result<void>> image_ready;
    std::string sidecar_tag;
    result<std::string> binary = std::string();
    std::vector<std::thread> asking;
    struct join_all {
        std::vector<std::thread>& threads;
        ~join_all() {
            for (auto& t : threads)
                if (t.joinable()) t.join();
        }
    } join_asking{asking};  // before any return, and before the reaper forks
    if (base.proxy) {
        asking.emplace_back([&] { nets = e.call_json("GET", "/networks", std::nullopt, std::chrono::seconds(30)); });
        binary = sidecar::find_static_egress(o.env);
        if (binary && !o.dry_run) asking.emplace_back([&] { image_ready = ensure_sidecar_image(e, *binary, sidecar_tag); });
    }
    auto info = e.call_json("GET", "/info", std::nullopt, std::chrono::seconds(30));
    for (auto& t : asking) t.join();
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
        if (!daemon) nets = result<json::value>(json::array{});
        if (!nets || !*nets) return failed(err, "networks", nets ? nets->error() : make_error(errc::internal, "not asked"), "");
        req.existing_subnets = network_subnets(**nets);
        // 2. The sidecar image, from the static bottle-egress (imported above when missing).
        if (!binary) return failed(err, "sidecar image", binary.error(), "");
        if (!o.dry_run) {
            if (!image_ready || !*image_ready)
                return failed(err, "sidecar image", image_ready ? image_ready->error() : make_error(errc::internal, "not asked"), "");
            req.sidecar_image = sidecar_tag;
        } else if (auto bytes = os::read_file(*binary, 256 << 20)) req.sidecar_image = sidecar::sidecar_image_tag(*bytes);
    }
    if (base.interactive || base.proxy || !base.credential_files.empty()) req.agent_start = find_agent_start(o.env);
    if (!base.credential_files.empty()) req.login_dir = o.state_dir + "/" + base.bottle_id + ".login";
    // The socket topology (plan.hpp) where the agent can have no network: runc
    // (gVisor's sandbox cannot reach a host socket by default) and the
    // forwarder of bottle-agent-start. A sidecar from the pool when one waits.
    // BOT_BOTTLE_DOCKER_TOPOLOGY=network keeps the network topology under runc too.
    const auto topology = o.env.find("BOT_BOTTLE_DOCKER_TOPOLOGY");
    const std::string chosen = topology == o.env.end() ? "" : topology->second;
    if (!chosen.empty() && chosen != "network" && chosen != "socket")
        return failed(err, "topology", make_error(errc::invalid_argument, "BOT_BOTTLE_DOCKER_TOPOLOGY=" + chosen + ": give network or socket"), "");
    routed_sidecar side;
    side.daemon = &e;
    side.socket_topology = base.proxy && req.runtime.name.empty() && !req.agent_start.empty() && chosen != "network";
    if (chosen == "socket" && base.proxy && !side.socket_topology)
        return failed(err, "topology",
                      make_error(errc::unsupported, req.runtime.name.empty() ? "the socket topology needs the static bottle-agent-start next to bottle-run"
                                                                             : "the socket topology needs runc: a gVisor sandbox cannot reach a host socket"),
                      "unset BOT_BOTTLE_DOCKER_TOPOLOGY to let bottle-run choose");
    // Either topology takes a waiting sidecar of its kind when the pool has one.
    const bool network_topology = base.proxy && !side.socket_topology;
    const pool_kind kind{req.sidecar_image, req.runtime, network_topology, network_topology ? req.fixed_subnet : std::nullopt};
    if (base.proxy) {
        auto n = pool_size(o.env);
        if (!n) return failed(err, "pool", n.error(), "");
        side.keep = *n;
        if (!o.dry_run && side.keep > 0) {
            side.pooled = claim_pooled(o.state_dir, ep->spec, pool_sidecar_spec(kind), req.launcher);
            if (side.pooled && !pooled_sidecar_runs(e, *side.pooled)) side.broken = std::exchange(side.pooled, std::nullopt);
        }
        if (side.pooled)
            req.pooled = pooled_sidecar{side.pooled->container, side.pooled->network, side.pooled->internal_network, side.pooled->subnet};
    }
    if (side.socket_topology) {
        side.dir = side.pooled ? side.pooled->prefix + ".sock" : o.state_dir + "/" + base.bottle_id + ".egress.d";
        req.socket_dir = side.dir;
    }
    if (base.proxy) {
        req.egress_log = o.state_dir + "/" + base.bottle_id + ".egress.log";
        if (!o.dry_run) {
            if (auto made = ensure_state_dir(o.state_dir); !made) return failed(err, "state directory", made.error(), "");
            // A pooled sidecar's log is the entry's: linked under the bottle's name.
            if (side.pooled && ::link((side.pooled->prefix + ".log").c_str(), req.egress_log.c_str()) != 0)
                return failed(err, "decision log", make_error(errc::io_error, "link " + req.egress_log + ": " + std::strerror(errno)), "");
            if (!side.pooled)
                if (auto made = make_egress_log(req.egress_log); !made) return failed(err, "decision log", made.error(), "");
            if (side.socket_topology && !side.pooled) {
                if (auto made = make_socket_dir(side.dir); !made) return failed(err, "socket directory", made.error(), "");
                side.made_dir = true;
            }
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
    // 3. The reaper, before anything is made: it removes the containers, the
    // networks and these directories once this launcher is gone (returned,
    // failed or killed: a SIGKILLed launcher's agent dies with it), while the
    // exit status is already reported (reaper.hpp).
    reap_list reap{plan->bottle_id, {plan->agent.name}, {}, {}, protected_dirs.made()};
    for (const auto& m : base.mounts)
        if (m.target == native::workspace_path) reap.workspace = m.source;
    if (plan->sidecar) reap.containers.push_back(plan->sidecar->name);
    for (const auto& n : plan->networks) reap.networks.push_back(n.name);
    side.add_to(reap);
    if (!req.login_dir.empty()) reap.files.push_back(req.login_dir);
    if (base.proxy && side.keep > 0) reap.refill = pool_fill{o.state_dir, ep->spec, kind, side.keep};
    std::optional<docker_reaper> reaper;
    teardown_here here{e, reap};
    if (fault("docker-no-reaper")) here.on = true;
    else {
        auto r = docker_reaper::start(*ep, reap);
        if (!r) return failed(err, "reaper", r.error(), "");
        reaper.emplace(std::move(*r));
    }
    side.handed_over = true;
    if (!req.login_dir.empty())
        if (auto r = write_login_copies(req.login_dir, base); !r) return failed(err, "login", r.error(), "");
    auto create = [&](const std::string& what, const std::string& target, const json::value& body) -> result<void> {
        if (fault("docker-" + what)) return make_error(errc::internal, "injected fault (BOTTLE_RUN_FAULT)");
        auto r = e.call_json("POST", target, json::serialize(body), std::chrono::seconds(60));
        if (!r) return r.error();
        return {};
    };
    // 4. Networks, both at once.
    {
        std::vector<result<void>> results(plan->networks.size());
        std::vector<std::thread> creating;
        for (std::size_t i = 0; i < plan->networks.size(); ++i)
            creating.emplace_back([&, i] {
                const auto& n = plan->networks[i];
                results[i] = create("network", "/networks/create", n.create);
                // A pinned subnet (BOT_BOTTLE_DOCKER_SUBNET) may still be held
                // by the previous bottle's network, which its reaper is
                // removing: wait for it (up to 15 s) instead of failing.
                for (int tries = 0; req.fixed_subnet && !results[i] && tries < 150 &&
                                    results[i].error().message.find("overlaps") != std::string::npos;
                     ++tries) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
                    results[i] = create("network", "/networks/create", n.create);
                }
            });
        for (auto& t : creating) t.join();
        for (std::size_t i = 0; i < results.size(); ++i)
            if (!results[i]) return failed(err, "network " + plan->networks[i].name, results[i].error(), "");
    }
    // 5. The sidecar: created on the internal network, connected to the
    // outbound one, attached, started, its ready line awaited — in a thread,
    // while the agent is created and attached here (it starts only after).
    std::optional<std::pair<std::string, error>> sidecar_failed;
    std::thread sidecar_thread;
    if (plan->sidecar)
        sidecar_thread = std::thread([&] {
            const auto& s = *plan->sidecar;
            auto fail_with = [&](const error& x, const std::string& remedy) { sidecar_failed.emplace(remedy, x); };
            // A pooled sidecar runs already and waits for its arguments: one
            // JSON line on its stdin. A new one is created (connected to its
            // outbound network in the network topology) and started. Either
            // way its ready line is awaited on the attach stream.
            std::optional<hijacked> att;
            if (plan->sidecar_pooled) {
                auto a = e.hijack("/containers/" + s.name + "/attach?stream=1&stdin=1&stdout=1");
                if (!a) return fail_with(a.error(), "");
                json::array args;
                for (const auto& arg : plan->sidecar_args) args.emplace_back(arg);
                if (!write_all(a->fd.get(), json::serialize(args) + "\n"))
                    return fail_with(make_error(errc::io_error, "writing the pooled sidecar's arguments: " + std::string(std::strerror(errno))), "");
                att.emplace(std::move(*a));
            } else {
                if (auto r = create("sidecar", "/containers/create?name=" + s.name, s.create); !r)
                    return fail_with(r.error(), "check the daemon can run the sidecar image (docker logs " + s.name + ")");
                if (!plan->sidecar_out_network.empty())
                    if (auto r = e.call_json("POST", "/networks/" + plan->sidecar_out_network + "/connect", json::serialize(json::object{{"Container", s.name}})); !r)
                        return fail_with(r.error(), "");
                auto a = e.hijack("/containers/" + s.name + "/attach?stream=1&stdout=1");
                if (!a) return fail_with(a.error(), "");
                att.emplace(std::move(*a));
                if (auto r = e.call_json("POST", "/containers/" + s.name + "/start"); !r) return fail_with(r.error(), "");
            }
            if (auto r = fault("docker-ready") ? result<void>(make_error(errc::internal, "injected fault (BOTTLE_RUN_FAULT)")) : await_ready(*att, std::chrono::seconds(10)); !r)
                return fail_with(r.error(), "docker logs " + s.name + " shows the proxy's own message");
        });
    struct joiner {
        std::thread& t;
        ~joiner() {
            if (t.joinable()) t.join();
        }
    } join_sidecar{sidecar_thread};
    // 6. The agent: created, attached before it starts (nothing it writes is lost), started.
    if (auto r = create("agent", "/containers/create?name=" + plan->agent.name, with_credentials(*plan)); !r) {
        if (r.error().code == errc::not_found)
            return failed(err, "agent", r.error(), "the image " + o.image + " is not on the daemon: build or import it (bottle-run never pulls)");
        return failed(err, "agent", r.error(), "");
    }
    const std::string agent = "/containers/" + plan->agent.name;
    auto att = e.hijack(agent + "/attach?stream=1&stdin=1&stdout=1&stderr=1");
    if (!att) return failed(err, "agent", att.error(), "");
    // With bottle-agent-start the agent's container starts while the
    // sidecar starts (the daemon's two slowest steps overlap): the agent's
    // command runs only at the go, written once the proxy is ready. Without
    // it, the container starts only then.
    const bool overlap = plan->sidecar && !req.agent_start.empty();
    auto sidecar_ready = [&]() -> bool {
        if (sidecar_thread.joinable()) sidecar_thread.join();
        return !sidecar_failed;
    };
    if (!overlap && !sidecar_ready()) return failed(err, "sidecar", sidecar_failed->second, sidecar_failed->first);
    std::optional<native::raw_terminal> raw;
    auto resize = [&] {
        winsize ws{};
        // A terminal that reports no size gets 24x80: bottle-agent-start --tty waits for a size.
        if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) ws = winsize{24, 80, 0, 0};
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
    // A failed sidecar: the agent never got its go; the reaper removes it.
    if (overlap && !sidecar_ready()) return failed(err, "sidecar", sidecar_failed->second, sidecar_failed->first);
    // The go: a terminal's size (bottle-agent-start --tty), else one byte (--go).
    if (plan->interactive) {
        // What was typed before raw mode, read in canonical mode first: whole
        // lines are relayed, and an end of file (^D; script(1) sends one when
        // its input ends), which the line discipline would otherwise hand
        // over as a NUL byte once the terminal is raw (the stray ^@ the
        // agent's terminal echoed), is relayed as the key it was.
        termios t{};
        const char eof_key = ::tcgetattr(STDIN_FILENO, &t) == 0 ? static_cast<char>(t.c_cc[VEOF]) : '\x04';
        for (int i = 0; i < 64; ++i) {
            pollfd p{STDIN_FILENO, POLLIN, 0};
            if (::poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN) || (p.revents & POLLHUP)) break;
            char buf[4096];
            const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
            if (n > 0) write_all(att->fd.get(), std::string_view(buf, static_cast<std::size_t>(n)));
            else if (n == 0) write_all(att->fd.get(), std::string_view(&eof_key, 1));
            else if (errno != EINTR) break;
        }
        resize();
        if (auto r = native::raw_terminal::enter(STDIN_FILENO); r) raw.emplace(std::move(*r));
    } else if (plan->agent_waits_for_go) write_all(att->fd.get(), "g");
    // 7. State, so ls and stop see the bottle (stop signals this launcher).
    state_record rec{base.bottle_id, ::getpid(), -1, -1, base.bottle_name, base.argv, {}, static_cast<long long>(std::time(nullptr))};
    const bool have_state = static_cast<bool>(write_state(o.state_dir, rec));
    struct state_guard {
        bool on;
        std::string dir, id;
        ~state_guard() {
            if (on) remove_state(dir, id);
        }
    } state{have_state, o.state_dir, base.bottle_id};

    // 8. Relay until the agent's stream ends; forward signals to it.
    frame_demuxer demux;
    auto deliver = [&](std::string_view bytes) {
        if (plan->interactive) {
            (void)write_all(STDOUT_FILENO, bytes);
            return;
        }
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
    // 9. The exit code; the reaper tears down once this launcher returns.
    auto waited = e.call_json("POST", agent + "/wait", std::nullopt, std::chrono::seconds(60));
    if (!waited) return failed(err, "wait", waited.error(), "");
    const auto* code = waited->is_object() ? waited->get_object().if_contains("StatusCode") : nullptr;
    if (!code || !code->is_int64()) return failed(err, "wait", make_error(errc::parse_error, "no StatusCode in the daemon's reply"), "");
    return static_cast<int>(code->get_int64());
}

}  // namespace bottle::run::docker
