// The docker plan: every Engine API body of a launch, computed without a daemon.
#include "bottle-run/backends/docker/plan.hpp"

#include "bottle-run/backends/sidecar/sidecar_bundle.hpp"

#include "bottle/net/cidr.hpp"
#include "bottle/net/subnet_hash.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

namespace bottle::run::docker {

namespace json = boost::json;

result<runtime_choice> choose_runtime(const json::value& info, bool require_gvisor) {
    bool runsc = false;
    if (const auto* o = info.if_object())
        if (const auto* rt = o->if_contains("Runtimes"); rt && rt->is_object()) runsc = rt->get_object().contains("runsc");
    if (runsc) return runtime_choice{"runsc", "gVisor (runsc) is registered with the daemon: the bottle's kernel is gVisor's"};
    if (require_gvisor)
        return make_error(errc::unsupported, "gVisor is required (--require-gvisor) but the daemon has no runsc runtime; install gVisor "
                                             "(Debian: apt-get install runsc) and register it: dockerd --add-runtime runsc=/usr/bin/runsc, "
                                             "or \"runtimes\" in daemon.json");
    return runtime_choice{"", "runsc is not registered with the daemon: the default runtime (runc), the host kernel behind seccomp"};
}

namespace {

bool is_under(const std::string& path, const std::string& dir) {
    return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

json::array strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

json::object labels(const docker_plan& p, const docker_request& r, const char* role) {
    return json::object{{label_id, p.bottle_id}, {label_role, role}, {label_launcher, r.launcher}, {label_bottle, p.bottle_name}};
}

}  // namespace

json::value seccomp_profile(bool gvisor) {
    json::array rules;
    auto add = [&](const std::string& name, int errno_value, std::optional<json::object> arg) {
        json::object rule{{"names", json::array{json::value(name)}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", errno_value}};
        if (arg) rule["args"] = json::array{std::move(*arg)};
        rules.push_back(std::move(rule));
    };
    auto masked = [](unsigned index, std::uint64_t mask, std::uint64_t value) {
        return json::object{{"index", index}, {"value", mask}, {"valueTwo", value}, {"op", "SCMP_CMP_MASKED_EQ"}};
    };
    for (const auto& r : native::seccomp_deny_list()) {
        // runsc (20221219) answers this rule with EPERM, not its ENOSYS, and
        // glibc's pthread_create falls back to clone only on ENOSYS: no thread
        // could start. Under gVisor clone3 reaches gVisor's kernel, never the
        // host's, and a namespace made there is gVisor's; clone keeps its rule.
        if (gvisor && r.syscall == "clone3") continue;
        if (!r.when) add(r.syscall, r.errno_value, std::nullopt);
        else if (!r.when->masked_nonzero) add(r.syscall, r.errno_value, masked(r.when->arg, r.when->mask, r.when->value));
        else
            for (unsigned bit = 0; bit < 64; ++bit)  // "any of these bits": one rule per bit
                if (const std::uint64_t b = std::uint64_t{1} << bit; r.when->mask & b) add(r.syscall, r.errno_value, masked(r.when->arg, b, b));
    }
    // What Docker's own profile also refuses and the native list leaves to
    // the missing capabilities: refused outright here.
    for (const char* n : {"kcmp", "lookup_dcookie", "uselib", "ustat", "sysfs", "_sysctl", "vm86", "vm86old", "create_module",
                          "get_kernel_syms", "query_module", "nfsservctl", "clock_settime", "clock_adjtime", "settimeofday", "stime",
                          "mbind", "set_mempolicy", "move_pages", "migrate_pages", "pidfd_getfd"})
        add(n, 1, std::nullopt);
    // Only x86-64's own table: a 32-bit (int 0x80) or x32 entry matches no
    // architecture of the filter and is refused by the runtime.
    return json::object{{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", json::array{"SCMP_ARCH_X86_64"}}, {"syscalls", std::move(rules)}};
}

namespace {

/// What both containers share: the confinement that does not depend on role.
/// The agent gets seccomp_profile(); the sidecar keeps the daemon's default
/// profile (bottle-egress needs netlink for getifaddrs: its deny floor
/// refuses the host's own addresses).
json::object confined_host_config(const runtime_choice& runtime, bool our_seccomp) {
    json::object h{{"ReadonlyRootfs", true},
                   {"CapDrop", json::array{"ALL"}},
                   // Our seccomp profile (seccomp_profile: the native deny
                   // list, no io_uring, no 32-bit or x32 entry); never
                   // unconfined. no-new-privileges stops setuid gains.
                   {"SecurityOpt", our_seccomp ? json::array{"no-new-privileges:true", "seccomp=" + json::serialize(seccomp_profile(runtime.name == "runsc"))}
                                               : json::array{"no-new-privileges:true"}},
                   {"Init", true},
                   {"IpcMode", "private"},
                   {"Privileged", false},
                   {"PublishAllPorts", false},
                   {"AutoRemove", false},  // the launcher removes, after reading the exit code
                   {"LogConfig", json::object{{"Type", "json-file"}, {"Config", json::object{{"max-size", "1m"}}}}}};
    if (!runtime.name.empty()) h["Runtime"] = runtime.name;
    return h;
}

/// The process limit. runc: the cgroup's pids.max. runsc: gVisor's own
/// threads live in that cgroup too, and a sandbox that reaches pids.max dies
/// whole (seen here: a few dozen processes under pids 256); its processes
/// are not host tasks anyway. Under runsc the limit is RLIMIT_NPROC instead,
/// which gVisor's kernel enforces on the agent's user.
void limit_pids(json::object& h, const runtime_choice& runtime, std::uint32_t pids) {
    if (runtime.name == "runsc")
        h["Ulimits"] = json::array{json::object{{"Name", "nproc"}, {"Soft", pids}, {"Hard", pids}}};
    else
        h["PidsLimit"] = pids;
}

json::object bind_mount(const std::string& source, const std::string& target, bool rw) {
    return json::object{{"Type", "bind"}, {"Source", source}, {"Target", target}, {"ReadOnly", !rw},
                        {"BindOptions", json::object{{"Propagation", "rprivate"}}}};
}

}  // namespace

json::value sidecar_create_body(const sidecar_spec& s) {
    auto h = confined_host_config(s.runtime, false);
    json::array mounts;
    if (!s.egress_log.empty()) mounts.push_back(bind_mount(s.egress_log, sidecar_log_path, true));
    if (!s.socket_dir.empty()) mounts.push_back(bind_mount(s.socket_dir, proxy_socket_dir, true));
    if (!mounts.empty()) h["Mounts"] = std::move(mounts);
    h["NetworkMode"] = s.network;
    limit_pids(h, s.runtime, 512);
    h["Memory"] = 256ll << 20;
    h["MemorySwap"] = 256ll << 20;
    h["Tmpfs"] = json::object{{"/tmp", "rw,nosuid,nodev,noexec,size=16m"}};
    std::vector<std::string> cmd{sidecar::sidecar_proxy_path};
    if (s.args_on_stdin) cmd.emplace_back("--args-stdin");
    else cmd.insert(cmd.end(), s.args.begin(), s.args.end());
    json::object body{{"Image", s.image},
                      {"Cmd", strings(cmd)},
                      {"Entrypoint", json::array{}},
                      {"Env", json::array{}},
                      {"User", std::to_string(sidecar::sidecar_uid) + ":" + std::to_string(sidecar::sidecar_uid)},
                      {"Hostname", "egress"},
                      {"AttachStdout", true},
                      {"Labels", s.labels},
                      {"HostConfig", std::move(h)}};
    if (s.args_on_stdin) {
        body["OpenStdin"] = true;
        body["StdinOnce"] = true;
        body["AttachStdin"] = true;
    }
    return body;
}

json::value outbound_network_body(const std::string& name, const std::string& subnet, const json::object& labels) {
    return json::object{{"Name", name},
                        {"Driver", "bridge"},
                        {"Internal", false},
                        {"CheckDuplicate", true},
                        {"EnableIPv6", false},
                        {"IPAM", json::object{{"Driver", "default"}, {"Config", json::array{json::object{{"Subnet", subnet}}}}}},
                        {"Labels", labels}};
}

json::value internal_network_body(const std::string& name, const std::string& subnet, const json::object& labels) {
    const auto net24 = net::cidr::parse(subnet).value().network().to_v4().to_uint();
    return json::object{{"Name", name},
                        {"Driver", "bridge"},
                        {"Internal", true},
                        {"CheckDuplicate", true},
                        {"EnableIPv6", false},
                        {"IPAM", json::object{{"Driver", "default"},
                                              {"Config", json::array{json::object{{"Subnet", subnet}, {"Gateway", net::address_v4(net24 | 1u).to_string()}}}}}},
                        // No address of the host on this bridge: nothing on the host
                        // (its services on 0.0.0.0 included) is reachable from it.
                        {"Options", json::object{{"com.docker.network.bridge.inhibit_ipv4", "true"},
                                                 {"com.docker.network.bridge.enable_ip_masquerade", "false"},
                                                 {"com.docker.network.bridge.enable_icc", "true"}}},
                        {"Labels", labels}};
}

std::pair<std::string, std::string> internal_addresses(const std::string& subnet) {
    const auto net24 = net::cidr::parse(subnet).value().network().to_v4().to_uint();
    return {net::address_v4(net24 | 2u).to_string(), net::address_v4(net24 | 3u).to_string()};
}

json::value internal_sidecar_body(const sidecar_spec& spec, const std::string& ip) {
    auto body = sidecar_create_body(spec);
    body.as_object()["NetworkingConfig"] =
        json::object{{"EndpointsConfig", json::object{{spec.network, json::object{{"IPAMConfig", json::object{{"IPv4Address", ip}}}}}}}};
    return body;
}

result<std::string> internal_subnet(const std::string& slug, const std::optional<std::string>& fixed, const std::vector<std::string>& existing) {
    if (!fixed) return hashed_subnet(slug, existing);
    auto c = net::cidr::parse(*fixed);
    if (!c || !c->is_v4() || c->prefix() < 24 || c->prefix() > 29)
        return make_error(errc::invalid_argument, "BOT_BOTTLE_DOCKER_SUBNET=" + *fixed + ": give an IPv4 network from /24 to /29");
    return c->to_string();
}

std::vector<std::string> network_subnets(const json::value& networks) {
    std::vector<std::string> out;
    if (!networks.is_array()) return out;
    for (const auto& n : networks.get_array()) {
        const auto* o = n.if_object();
        const auto* ipam = o ? o->if_contains("IPAM") : nullptr;
        const auto* cfg = ipam && ipam->is_object() ? ipam->get_object().if_contains("Config") : nullptr;
        if (!cfg || !cfg->is_array()) continue;
        for (const auto& c : cfg->get_array())
            if (const auto* s = c.is_object() ? c.get_object().if_contains("Subnet") : nullptr; s && s->is_string()) out.emplace_back(s->get_string());
    }
    return out;
}

result<std::string> hashed_subnet(const std::string& slug, const std::vector<std::string>& existing) {
    auto hash = net::subnet_hash::make(net::cidr::parse(internal_base).value());
    if (!hash) return hash.error();
    std::vector<net::cidr> taken;
    for (const auto& s : existing)
        if (auto c = net::cidr::parse_normalising(s)) taken.push_back(*c);
    auto a = hash->assign(slug, hash->taken_by(taken));
    if (!a) return a.error();
    return a->subnet.to_string();
}

result<docker_plan> plan_for(const manifest::bottle_spec& bottle, const native::native_plan& base, const docker_request& r,
                             const std::string& home) {
    if (r.image.empty())
        return make_error(errc::invalid_argument, "the docker backend needs the agent's image: --image IMAGE (or BOT_BOTTLE_DOCKER_IMAGE); "
                                                  "it is used as is, never pulled");
    docker_plan p;
    p.bottle_id = base.bottle_id;
    p.bottle_name = base.bottle_name;
    p.runtime = r.runtime;
    p.interactive = base.interactive;
    p.credential_env = base.credential_env;
    for (const auto& [relative, content] : base.credential_files) p.login_files.push_back(relative);
    if (!p.login_files.empty() && (r.agent_start.empty() || r.login_dir.empty()))
        return make_error(errc::unsupported, "forwarding a login file into a docker bottle needs the static bottle-agent-start next to bottle-run "
                                             "(it copies the login into the agent's HOME)");
    const bool routes = base.proxy;
    const std::string int_net = "bb-" + base.bottle_id + "-int", out_net = "bb-" + base.bottle_id + "-out";
    std::string agent_net = int_net;  // the network topology's (a pooled sidecar brings its own)

    const bool socket_topology = routes && !r.socket_dir.empty();
    p.socket_topology = socket_topology;
    if (socket_topology && r.agent_start.empty())
        return make_error(errc::invalid_argument, "the socket topology needs bottle-agent-start (its forwarder is the agent's way to the proxy)");
    // bottle-egress's arguments: where it listens, then the bottle's routes.
    if (routes) {
        p.sidecar_args = socket_topology ? std::vector<std::string>{"--listen-unix", proxy_socket_path}
                                : std::vector<std::string>{"--listen", "0.0.0.0:" + std::to_string(sidecar::sidecar_proxy_port)};
        p.sidecar_args.insert(p.sidecar_args.end(), {"--bottle-id", base.bottle_id});
        for (auto& a : base.egress.arguments()) p.sidecar_args.push_back(std::move(a));
        if (!r.egress_log.empty()) p.sidecar_args.insert(p.sidecar_args.end(), {"--log", sidecar_log_path});
    }
    sidecar_spec side{r.sidecar_image, out_net, r.egress_log, r.socket_dir, p.sidecar_args, false, labels(p, r, "egress"), r.runtime};

    // Every network the backend makes has a /24 of internal_base (never the
    // daemon's default pools: one of those could take all of internal_base).
    std::vector<std::string> existing = r.existing_subnets;
    auto outbound = [&]() -> result<network_plan> {
        auto subnet = hashed_subnet(out_net, existing);
        if (!subnet) return subnet.error();
        existing.push_back(*subnet);
        return network_plan{out_net, outbound_network_body(out_net, *subnet, labels(p, r, "network"))};
    };
    if (routes && r.pooled) {
        // A pooled sidecar: running already, its networks made; in the
        // network topology the agent joins its internal one at .3.
        p.sidecar_pooled = true;
        p.sidecar = container_plan{r.pooled->container, json::value(nullptr)};
        if (!socket_topology) {
            p.subnet = r.pooled->subnet;
            std::tie(p.sidecar_ip, p.agent_ip) = internal_addresses(p.subnet);
            agent_net = r.pooled->internal_network;
        }
    } else if (socket_topology) {
        // The socket topology: the sidecar on its outbound network alone, the
        // agent on no network.
        auto out = outbound();
        if (!out) return out.error();
        p.networks.push_back(std::move(*out));
        p.sidecar = container_plan{"bb-" + base.bottle_id + "-egress", sidecar_create_body(side)};
    } else if (routes) {
        // The network topology. The internal /24 is the bottle's slug
        // through subnet_hash, skipping every subnet the daemon already has
        // (or BOT_BOTTLE_DOCKER_SUBNET's).
        auto subnet = internal_subnet(base.bottle_id, r.fixed_subnet, existing);
        if (!subnet) return subnet.error();
        existing.push_back(*subnet);
        p.subnet = *subnet;
        std::tie(p.sidecar_ip, p.agent_ip) = internal_addresses(p.subnet);
        p.networks.push_back({int_net, internal_network_body(int_net, p.subnet, labels(p, r, "network"))});
        auto out = outbound();
        if (!out) return out.error();
        p.networks.push_back(std::move(*out));
        p.sidecar_out_network = out_net;
        // Created on the internal network at .2, connected to the outbound one before it starts.
        side.network = int_net;
        p.sidecar = container_plan{"bb-" + base.bottle_id + "-egress", internal_sidecar_body(side, p.sidecar_ip)};
    }

    // The agent.
    std::vector<std::string> env;
    for (const auto& e : base.env) {
        const auto name = e.substr(0, e.find('='));
        static const std::set<std::string> proxy_vars{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                                                      "all_proxy",  "NO_PROXY",    "no_proxy"};
        if (!proxy_vars.count(name)) env.push_back(e);
    }
    if (routes) {
        const std::string url = socket_topology ? std::string("http://") + agent_proxy_address
                                       : "http://" + p.sidecar_ip + ":" + std::to_string(sidecar::sidecar_proxy_port);
        for (const char* v : {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"}) env.push_back(std::string(v) + "=" + url);
        env.emplace_back("NO_PROXY=");
        env.emplace_back("no_proxy=");
    }
    std::sort(env.begin(), env.end());

    json::array mounts;
    auto bind = [&](const std::string& src, const std::string& dst, bool rw) { mounts.push_back(bind_mount(src, dst, rw)); };
    // The workspace, then what the native plan protects in it: read-only
    // (`protect`: .git, .vscode, .claude, .github/workflows, ...) or pinned
    // as a mount point (`pin`: .github cannot be moved aside). Absent ones
    // are created by the spine first (p.create_dirs) and removed after.
    for (const auto& m : base.mounts) {
        if (m.kind == native::mount_kind::bind_rw && m.target == native::workspace_path) bind(m.source, m.target, true);
        else if (m.kind == native::mount_kind::protect || m.kind == native::mount_kind::pin) {
            bind(m.source, m.target, m.kind == native::mount_kind::pin);
            p.create_dirs.push_back(m.source);
        }
    }
    for (const auto& m : bottle.mounts) {
        std::string host = m.host == "~" ? home : m.host.rfind("~/", 0) == 0 ? home + m.host.substr(1) : m.host;
        if (host.empty() || host.front() != '/')
            return make_error(errc::invalid_argument, "mount " + m.host + " -> " + m.guest + ": the host path must be absolute (or start with ~/)");
        for (const char* d : {"/proc", "/dev", "/sys", "/tmp", native::home_path})
            if (is_under(m.guest, d) || m.guest == "/")
                return make_error(errc::invalid_argument, "mount " + m.host + " -> " + m.guest + ": " + m.guest + " is part of the bottle's system");
        bind(host, m.guest, m.read_write);
    }

    json::array entrypoint;
    if (!r.agent_start.empty() && (base.interactive || routes || !p.login_files.empty())) {
        bind(r.agent_start, agent_start_path, false);
        entrypoint = json::array{agent_start_path};
        for (std::size_t i = 0; i < p.login_files.size(); ++i) {  // read-only copies, put into HOME once it exists
            const std::string in = std::string(login_mount_dir) + "/" + std::to_string(i);
            bind(r.login_dir + "/" + std::to_string(i), in, false);
            entrypoint.emplace_back("--login");
            entrypoint.emplace_back(in + "=" + p.login_files[i]);
        }
        if (socket_topology) {  // the proxy's socket, at the loopback address the proxy variables name
            bind(r.socket_dir, proxy_socket_dir, false);
            entrypoint.emplace_back("--forward");
            entrypoint.emplace_back(std::string(agent_proxy_address) + "=" + proxy_socket_path);
        }
        entrypoint.emplace_back(base.interactive ? "--tty" : "--go");
        entrypoint.emplace_back("--");
        p.agent_waits_for_go = !base.interactive;
    }

    const std::string ids = std::to_string(base.agent_uid) + ":" + std::to_string(base.agent_gid);
    auto h = confined_host_config(r.runtime, true);
    h["NetworkMode"] = routes && !socket_topology ? agent_net : "none";
    h["Mounts"] = std::move(mounts);
    // The disk budget (resources.disk_mib) split between /tmp and HOME: two
    // tmpfs here, where the native bottle has one.
    const std::string half = std::to_string(std::max<std::uint32_t>(1, base.limits.disk_mib / 2)) + "m";
    h["Tmpfs"] = json::object{{"/tmp", "rw,nosuid,nodev,mode=1777,size=" + half},
                              {native::home_path, "rw,nosuid,nodev,size=" + half + ",mode=0700,uid=" + std::to_string(base.agent_uid) +
                                                      ",gid=" + std::to_string(base.agent_gid)}};
    if (base.limits.pids) limit_pids(h, r.runtime, *base.limits.pids);
    if (base.limits.memory_mib) {
        h["Memory"] = static_cast<std::int64_t>(*base.limits.memory_mib) << 20;
        h["MemorySwap"] = static_cast<std::int64_t>(*base.limits.memory_mib) << 20;  // no swap beyond the limit
    }
    if (base.limits.cpus) h["NanoCpus"] = static_cast<std::int64_t>(*base.limits.cpus) * 1'000'000'000;
    json::object agent{{"Image", r.image},
                       {"Cmd", strings(base.argv)},
                       {"Entrypoint", std::move(entrypoint)},
                       {"Env", strings(env)},
                       {"User", ids},
                       {"WorkingDir", base.workdir},
                       {"Hostname", base.hostname},
                       {"Tty", base.interactive},
                       {"OpenStdin", true},
                       {"StdinOnce", true},
                       {"AttachStdin", true},
                       {"AttachStdout", true},
                       {"AttachStderr", true},
                       {"Labels", labels(p, r, "agent")},
                       {"HostConfig", std::move(h)}};
    // No routes, or the socket topology: no network at all. NetworkDisabled makes the runtime give
    // the container a namespace of its own with only loopback, without the
    // daemon's network sandbox ("none" alone still builds one: ~100 ms of a
    // ~250 ms launch here, docs/docker-backend.md, Speed).
    if (!routes || socket_topology) agent["NetworkDisabled"] = true;
    if (routes && !socket_topology)
        agent["NetworkingConfig"] =
            json::object{{"EndpointsConfig", json::object{{agent_net, json::object{{"IPAMConfig", json::object{{"IPv4Address", p.agent_ip}}}}}}}};
    p.agent = container_plan{"bb-" + base.bottle_id + "-agent", std::move(agent)};
    return p;
}

json::value with_credentials(const docker_plan& p) {
    json::value body = p.agent.create;
    auto& env = body.as_object()["Env"].as_array();
    for (const auto& [k, v] : p.credential_env) env.emplace_back(k + "=" + v);
    return body;
}

json::value to_json(const docker_plan& p) {
    json::array calls;
    for (const auto& n : p.networks) calls.push_back(json::object{{"call", "POST /networks/create"}, {"body", n.create}});
    if (p.sidecar && p.sidecar_pooled) {
        calls.push_back(json::object{{"call", "POST /containers/" + p.sidecar->name + "/attach (a pooled sidecar: its arguments on stdin, then its ready line)"},
                                     {"stdin", strings(p.sidecar_args)}});
    } else if (p.sidecar) {
        calls.push_back(json::object{{"call", "POST /containers/create?name=" + p.sidecar->name}, {"body", p.sidecar->create}});
        if (!p.sidecar_out_network.empty())
            calls.push_back(json::object{{"call", "POST /networks/" + p.sidecar_out_network + "/connect"},
                                         {"body", json::object{{"Container", p.sidecar->name}}}});
        calls.push_back(json::object{{"call", "POST /containers/" + p.sidecar->name + "/attach (until the proxy's ready line)"}});
        calls.push_back(json::object{{"call", "POST /containers/" + p.sidecar->name + "/start"}});
    }
    calls.push_back(json::object{{"call", "POST /containers/create?name=" + p.agent.name}, {"body", p.agent.create}});
    calls.push_back(json::object{{"call", "POST /containers/" + p.agent.name + "/attach"}});
    calls.push_back(json::object{{"call", "POST /containers/" + p.agent.name + "/start"}});
    if (p.agent_waits_for_go)
        calls.push_back(json::object{{"call", "the go: one byte on the agent's stdin, once the sidecar is ready (bottle-agent-start --go)"}});
    calls.push_back(json::object{{"call", "POST /containers/" + p.agent.name + "/wait"}});
    json::array teardown;
    teardown.emplace_back("DELETE /containers/" + p.agent.name + "?force=1&v=1");
    if (p.sidecar) teardown.emplace_back("DELETE /containers/" + p.sidecar->name + "?force=1&v=1");
    for (auto it = p.networks.rbegin(); it != p.networks.rend(); ++it) teardown.emplace_back("DELETE /networks/" + it->name);
    json::array credential_names;
    for (const auto& [k, v] : p.credential_env) credential_names.emplace_back(k);
    json::array login_names;  // paths only: the contents are secrets
    for (const auto& f : p.login_files) login_names.emplace_back(std::string(native::home_path) + "/" + f);
    json::object o{{"schema", "bot-bottle/run-plan/v1"},
                   {"backend", "docker"},
                   {"bottle_id", p.bottle_id},
                   {"runtime", json::object{{"name", p.runtime.name.empty() ? "default" : p.runtime.name}, {"why", p.runtime.why}}},
                   {"calls", std::move(calls)},
                   {"teardown", std::move(teardown)},
                   {"credential_env", std::move(credential_names)},
                   {"credential_files", std::move(login_names)}};
    if (!p.subnet.empty()) o["network"] = json::object{{"topology", "network"}, {"subnet", p.subnet}, {"sidecar", p.sidecar_ip}, {"agent", p.agent_ip}};
    if (p.socket_topology)
        o["network"] = json::object{{"topology", "socket"}, {"agent", "no network; 127.0.0.1:3128 forwarded to the sidecar's socket"},
                                    {"socket", proxy_socket_path}, {"pooled", p.sidecar_pooled}};
    return o;
}

}  // namespace bottle::run::docker
