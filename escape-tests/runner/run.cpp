#include "run.hpp"

#include "../lab/lab.hpp"
#include "../lab/lab_plan.hpp"
#include "../lab/sinks.hpp"
#include "../lab/system.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace bottle::escape {

namespace fs = std::filesystem;

namespace {

std::atomic<bool> stop_requested{false};

ino_t netns_inode(const std::string& name) {
    struct stat st{};
    return stat(("/run/netns/" + name).c_str(), &st) == 0 ? st.st_ino : 0;
}

// SIGKILLs every process whose network namespace is `name` (the lab's and the
// world's processes, whatever started them: sinks, sandboxes, dockerd).
void kill_namespace_processes(const std::string& name) {
    const ino_t ino = netns_inode(name);
    if (ino == 0) return;
    for (int round = 0; round < 20; ++round) {
        bool any = false;
        for (const int pid : lab::list_pids()) {
            struct stat st{};
            if (stat(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), &st) == 0 && st.st_ino == ino) {
                kill(pid, SIGKILL);
                any = true;
            }
        }
        if (!any) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

std::vector<std::string> read_lines(const fs::path& p) {
    std::vector<std::string> lines;
    std::ifstream in(p);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) lines.push_back(l);
    return lines;
}

// Files whose name carries a tag of this run, anywhere the sandbox could have
// written on the lab host (the run directory minus logs and profile state).
void collect_markers(const lab::run_paths& paths, const std::string& nonce, std::vector<lab_event>& events) {
    const std::string needle = "bbx-" + nonce + "-";
    std::error_code ec;
    fs::recursive_directory_iterator it(paths.root, fs::directory_options::skip_permission_denied, ec), end;
    for (; it != end; it.increment(ec)) {
        if (ec) break;
        const fs::path p = it->path();
        if (p == paths.logs() || p == paths.state()) {
            it.disable_recursion_pending();
            continue;
        }
        if (p.filename().string().find(needle) != std::string::npos) {
            const std::string rel = fs::relative(p, paths.root, ec).string();
            events.push_back({"marker", "file", rel, "", p.filename().string()});
        }
    }
}

std::string first_line(const std::string& s) {
    const auto nl = s.find('\n');
    return s.substr(0, nl);
}

}  // namespace

void request_stop() noexcept { stop_requested = true; }

result<std::vector<probe_meta>> list_probes(const fs::path& probe_binary) {
    const auto r = lab::run_command({probe_binary.string(), "list", "--json"}, 10000);
    if (!r.ok()) return make_error(errc::not_found, "cannot list probes with " + probe_binary.string() + ": " + r.output);
    std::vector<probe_meta> out;
    std::istringstream in(r.output);
    for (std::string line; std::getline(in, line);)
        if (auto m = protocol::decode_probe_listing(line)) out.push_back(std::move(*m));
    if (out.empty()) return make_error(errc::parse_error, probe_binary.string() + " list --json printed no probes");
    return out;
}

run_result run_sandbox(const run_options& opt) {
    const auto started = std::chrono::steady_clock::now();
    run_result res;
    res.profile = opt.sandbox;
    res.nonce = lab::random_hex(12);

    std::vector<probe_meta> probes;
    if (auto listed = list_probes(opt.probe_binary)) probes = std::move(*listed);
    else {
        res.error = listed.error().message;
        return res;
    }
    if (!opt.only.empty())
        std::erase_if(probes, [&](const probe_meta& p) {
            return std::none_of(opt.only.begin(), opt.only.end(), [&](const std::string& g) { return fnmatch(g.c_str(), p.id.c_str(), 0) == 0; });
        });
    auto finish = [&](std::vector<probe_report> reports, const ground_truth& truth) {
        res.verdicts = score(probes, reports, truth);
        res.duration_ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
        return res;
    };
    ground_truth truth;
    truth.nonce = res.nonce;

    auto prof = load_profile(opt.profiles_dir, opt.sandbox, opt.custom_prefix);
    if (!prof) {
        res.error = prof.error().message;
        return finish({}, truth);
    }
    res.description = prof->description;
    res.allows_upstream = prof->allows_upstream;
    for (const auto& program : prof->requires_programs) {
        if (lab::find_program(program, {opt.node_bin.string()}).empty()) {
            res.error = "profile '" + prof->name + "' needs '" + program + "', which is not installed (scripts/setup-deps.sh --peers installs the peers)";
            return finish({}, truth);
        }
    }
    if (geteuid() != 0) {
        res.error = "bottle-escape run needs root (it creates network, mount and IPC namespaces)";
        return finish({}, truth);
    }
    lab::run_paths paths{opt.work_root / ("run-" + res.nonce)};
    // The lab sees the harness's programs through binds under tools/ (a
    // checkout under /tmp or /root would be hidden); the runner's own
    // commands use the host paths.
    const lab::staged_tools tools =
        lab::plan_tool_staging(paths.tools(), {opt.probe_binary, opt.profiles_dir, opt.node_bin});
    expansion host_x;
    host_x.probe = fs::absolute(opt.probe_binary).string();
    host_x.probe_args = {"run", "--nonce", res.nonce, "--timeout-ms", std::to_string(opt.probe_timeout_ms)};
    for (const auto& g : opt.only) {
        host_x.probe_args.push_back("--only");
        host_x.probe_args.push_back(g);
    }
    host_x.state = paths.state().string();
    host_x.profiles = opt.profiles_dir.string();
    host_x.node_bin = opt.node_bin.string();
    host_x.nonce = res.nonce;
    expansion x = host_x;
    x.probe = tools.in_lab.probe.string();
    x.profiles = tools.in_lab.profiles.string();
    x.node_bin = tools.in_lab.node_bin.string();
    if (!prof->version.empty()) {
        const auto v = lab::run_command(expand(prof->version, host_x), 20000);
        res.version = v.started ? first_line(v.output) : "unknown (" + v.output + ")";
    }

    // 1. run directory and planted secrets
    std::error_code ec_ignored;
    if (auto planted = lab::plant(paths, res.nonce)) {
        truth.tokens = std::move(*planted);
    } else {
        res.error = planted.error().message;
        return finish({}, truth);
    }
    std::ofstream(paths.root / "owner.pid") << getpid() << "\n";
    if (auto made = lab::make_mount_points(tools); !made) {
        res.error = made.error().message;
        if (!opt.keep) fs::remove_all(paths.root, ec_ignored);
        return finish({}, truth);
    }
    truth.facts["lab link address"] = std::string(lab::link_lab_v4);
    for (const auto& [fname, content] : prof->files)
        std::ofstream(paths.state() / fname) << (content.is_string() ? expand(std::string(content.as_string()), x)
                                                                      : expand(boost::json::serialize(content), x));

    // 2. network; 3. world sinks; 4. lab host
    lab::network_lab net(res.nonce.substr(0, 8));
    std::vector<probe_report> reports;
    lab::sink_process world;
    lab::sink_options world_options;
    world_options.role = "world";
    world_options.log_fd = open((paths.logs() / "world.jsonl").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    world_options.capture_ifname = net.world_if();
    const auto enter_world = [&] { return lab::enter_netns(net.world_ns()); };
    auto world_started = [&]() -> result<lab::sink_process> {
        if (auto made = net.create(); !made) return made.error();
        return lab::start_sink_process(world_options, enter_world);
    }();
    if (!world_started) {
        res.error = world_started.error().message;
    } else {
        world = std::move(*world_started);
        lab::host_plan plan;
        plan.paths = paths;
        plan.nonce = res.nonce;
        plan.tokens = truth.tokens;
        plan.setup = expand(prof->setup, x);
        plan.teardown = expand(prof->teardown, x);
        plan.command = expand(prof->command, x);
        plan.timeout_ms = static_cast<int>(probes.size()) * (opt.probe_timeout_ms + 500) + 60000;
        plan.tool_binds = tools.binds;
        plan.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" +
                        (x.node_bin.empty() ? std::string() : ":" + x.node_bin),
                    "HOME=/root", "USER=root", "LOGNAME=root", "LANG=C.UTF-8", "TERM=dumb",
                    "SSH_AUTH_SOCK=" + std::string(lab::ssh_agent_socket),
                    "DBUS_SESSION_BUS_ADDRESS=unix:path=" + std::string(lab::dbus_session_socket)};
        for (const auto& name : lab::canary_env) plan.env.push_back(std::string(name) + "=" + truth.tokens.at("env_" + std::string(name)));
        for (const auto& [k, v] : prof->env) plan.env.push_back(k + "=" + expand(v, x));

        const pid_t host = fork();
        if (host == 0) {
            signal(SIGINT, SIG_DFL);
            signal(SIGTERM, SIG_DFL);
            if (!lab::enter_netns(net.lab_ns())) _exit(1);
            _exit(lab::run_lab_host(plan));
        }
        std::size_t shown = 0;
        for (;;) {
            int status = 0;
            const bool done = waitpid(host, &status, WNOHANG) == host;
            if (opt.progress) {
                const auto lines = read_lines(paths.logs() / "probe.jsonl");
                for (; shown < lines.size(); ++shown)
                    if (auto r = protocol::decode_probe_line(lines[shown]))
                        std::fprintf(stderr, "  [%zu/%zu] %-32s %s (%ld ms)\n", shown + 1, probes.size(), r->id.c_str(),
                                     std::string(to_string(r->status)).c_str(), r->duration_ms);
            }
            if (done) break;
            if (stop_requested) {
                res.error = "interrupted";
                kill_namespace_processes(net.lab_ns());
                kill(host, SIGKILL);
                waitpid(host, nullptr, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        for (const auto& line : read_lines(paths.logs() / "host-status.jsonl"))
            if (line.find("\"error\"") != std::string::npos && res.error.empty()) {
                boost::system::error_code ec;
                auto v = boost::json::parse(line, ec);
                const auto* e = !ec && v.is_object() ? v.as_object().if_contains("error") : nullptr;
                res.error = e && e->is_string() ? std::string(e->as_string()) : line;
            }
        for (const auto& line : read_lines(paths.logs() / "probe.jsonl"))
            if (auto r = protocol::decode_probe_line(line)) reports.push_back(std::move(*r));
        // Let the world log what is still in flight, then stop it.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        world.stop();
        for (const char* log : {"world.jsonl", "host.jsonl", "canary.jsonl"})
            for (const auto& line : read_lines(paths.logs() / log))
                if (auto e = protocol::decode_event_line(line)) truth.events.push_back(std::move(*e));
        collect_markers(paths, res.nonce, truth.events);
        // The canary's pid in the lab host's pid namespace: a probe that
        // reports it saw exactly that process saw the host's processes.
        std::ifstream canary_pid(paths.run() / "bbx" / "canary.pid");
        if (std::string pid; canary_pid >> pid) truth.facts["host canary process"] = "canary-visible pid=" + pid;
        if (reports.empty() && res.error.empty()) {
            std::ifstream err(paths.logs() / "sandbox.stderr");
            std::stringstream ss;
            ss << err.rdbuf();
            res.error = "the sandbox ran no probe; its stderr: " + ss.str().substr(0, 2000);
        }
    }
    // Teardown: every process in the lab and the world, then the namespaces,
    // then the run directory.
    kill_namespace_processes(net.lab_ns());
    kill_namespace_processes(net.world_ns());
    world.stop(0);
    if (world_options.log_fd >= 0) close(world_options.log_fd);
    net.destroy();
    if (!opt.keep) {
        std::error_code ec;
        fs::remove_all(paths.root, ec);
    }
    return finish(std::move(reports), truth);
}

std::vector<std::string> collect_garbage(const fs::path& work_root) {
    std::vector<std::string> removed;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(work_root, ec)) {
        const std::string name = e.path().filename();
        if (name.rfind("run-", 0) != 0) continue;
        std::ifstream in(e.path() / "owner.pid");
        pid_t owner = 0;
        in >> owner;
        if (owner > 0 && kill(owner, 0) == 0) continue;  // still running
        const std::string id = name.substr(4, 8);
        for (const std::string& ns : {"bbx-" + id + "-lab", "bbx-" + id + "-world"}) {
            if (netns_inode(ns) == 0) continue;
            kill_namespace_processes(ns);
            lab::run_command({"ip", "netns", "del", ns}, 10000);
            removed.push_back("network namespace " + ns);
        }
        fs::remove_all(e.path(), ec);
        removed.push_back("run directory " + e.path().string());
    }
    return removed;
}

}  // namespace bottle::escape
