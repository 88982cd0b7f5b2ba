// The native plan: every decision of a launch, computed without the OS.
#include "bottle-run/backends/native/plan.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <set>

namespace bottle::run::native {

namespace {

bool is_under(const std::string& path, const std::string& dir) {
    return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

/// Guest paths a manifest mount may not cover: they hold the system the
/// bottle relies on, or the kernel interfaces the plan masks.
bool is_reserved_guest(const std::string& guest) {
    if (guest == "/") return true;
    for (const char* d : {"/proc", "/dev", "/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64", "/sys"})
        if (is_under(guest, d)) return true;
    return false;
}

std::string expand_home(const std::string& host, const std::string& home) {
    if (host == "~") return home;
    if (host.rfind("~/", 0) == 0) return home + host.substr(1);
    return host;
}

void identity(native_plan& p, const launch_request& r, const host_facts& f) {
    if (f.euid != 0) {
        p.agent_uid = f.euid;
        p.agent_gid = f.egid;
        p.identity_why = "the invoking user (rootless launch)";
        p.deny_setgroups = true;
        p.drop_supplementary_groups = false;
    } else {
        // Never host root: the workspace's owner keeps owning what the agent
        // writes there; else the user sudo ran for; else nobody.
        if (r.workspace && r.workspace_uid != 0) {
            p.agent_uid = r.workspace_uid;
            p.agent_gid = r.workspace_gid;
            p.identity_why = "root launch: the workspace's owner";
        } else if (f.sudo_uid && *f.sudo_uid != 0) {
            p.agent_uid = *f.sudo_uid;
            p.agent_gid = f.sudo_gid.value_or(*f.sudo_uid);
            p.identity_why = "root launch: SUDO_UID";
        } else {
            p.agent_uid = fallback_uid;
            p.agent_gid = fallback_uid;
            p.identity_why = "root launch without an unprivileged owner: nobody (65534)";
        }
        p.deny_setgroups = false;
        p.drop_supplementary_groups = true;  // root's groups must not follow the agent
    }
    p.uid_map = {{p.agent_uid, p.agent_uid, 1}};
    p.gid_map = {{p.agent_gid, p.agent_gid, 1}};
}

void system_mounts(native_plan& p, const host_facts& f) {
    p.mounts.push_back({mount_kind::bind_ro, "/usr", "/usr", "", false});
    p.mounts.push_back({mount_kind::bind_ro, "/etc", "/etc", "", false});
    for (const auto& [name, link] : f.system_links) p.mounts.push_back({mount_kind::symlink, link, "/" + name, "", false});
    for (const auto& d : f.system_dirs) p.mounts.push_back({mount_kind::bind_ro, "/" + d, "/" + d, "", true});
    p.mounts.push_back({mount_kind::proc, "proc", "/proc", "", false});
    // As OCI runtimes do: entries that leak host kernel state or act on it.
    for (const char* m : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/latency_stats",
                          "/proc/acpi", "/proc/scsi", "/proc/asound", "/proc/kallsyms", "/proc/sysrq-trigger"})
        p.mounts.push_back({mount_kind::mask, "", m, "", true});
    for (const char* r : {"/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq"})
        p.mounts.push_back({mount_kind::read_only, "", r, "", true});
    p.mounts.push_back({mount_kind::dev, "", "/dev", "", false});
    // /tmp and HOME share one tmpfs of the bottle's disk size, so together
    // they cannot take more (a tmpfs each would double it, and tmpfs's own
    // default is half the host's RAM). It is the agent's: owned by its uid.
    p.mounts.push_back({mount_kind::scratch, "tmpfs", "/scratch",
                        "mode=0755,size=" + std::to_string(p.limits.disk_mib) + "m,uid=" + std::to_string(p.agent_uid) +
                            ",gid=" + std::to_string(p.agent_gid),
                        false});
    p.mounts.push_back({mount_kind::scratch_dir, "tmp", "/tmp", "mode=1777", false});
    p.mounts.push_back({mount_kind::scratch_dir, "home", home_path, "mode=0700", false});
}

void fill_landlock(native_plan& p, const host_facts& f) {
    auto& l = p.landlock;
    l.abi = f.landlock_abi;
    if (l.abi <= 0) return;
    l.paths.push_back({"/", false, true, false});
    for (const auto& m : p.mounts) {
        switch (m.kind) {
            case mount_kind::bind_ro: l.paths.push_back({m.target, false, false, true}); break;
            case mount_kind::bind_rw: l.paths.push_back({m.target, true, false, true}); break;
            case mount_kind::tmpfs: l.paths.push_back({m.target, true, false, true}); break;
            case mount_kind::scratch_dir: l.paths.push_back({m.target, true, false, true}); break;
            case mount_kind::proc: l.paths.push_back({m.target, false, false, true}); break;
            case mount_kind::dev: l.paths.push_back({m.target, true, false, true}); break;
            default: break;
        }
    }
    if (l.abi >= 4) l.restrict_tcp = true;  // no bind; connect only to the proxy (none: no TCP at all)
    if (l.abi >= 6) l.scope_abstract_unix = l.scope_signal = true;
}

void fill_limits(native_plan& p, const manifest::bottle_spec& b, const host_facts& f) {
    auto& l = p.limits;
    l.cpus = b.resources.cpus;
    l.memory_mib = b.resources.memory_mib;
    l.pids = b.resources.pids;
    if (b.resources.disk_mib) {
        l.disk_mib = *b.resources.disk_mib;
        l.disk_default = false;
    }
    if (!l.cpus && !l.memory_mib && !l.pids) {
        l.mechanism = limit_mechanism::none;
        l.why = "the bottle sets no resources";
    } else if (f.cgroups == cgroup_version::v2 && f.cgroup_writable) {
        l.mechanism = limit_mechanism::cgroup_v2;
        l.why = "cgroup v2 at " + f.cgroup_root;
    } else if (f.cgroups == cgroup_version::v1 && f.cgroup_writable) {
        l.mechanism = limit_mechanism::cgroup_v1;
        l.why = "cgroup v1 controllers at " + f.cgroup_root;
    } else {
        l.mechanism = limit_mechanism::rlimit;
        l.why = f.cgroups == cgroup_version::none ? "no cgroup hierarchy: rlimits (memory as address space; no cpu limit)"
                                                  : "cgroups not writable by this user: rlimits (memory as address space; no cpu limit)";
    }
}

}  // namespace

const std::vector<std::string>& protected_workspace_paths() {
    static const std::vector<std::string> paths = {
        ".git",               // hooks, config (core.fsmonitor, hooksPath), commondir (another config), info/attributes
        ".husky", ".githooks",  // the usual core.hooksPath targets: git runs them as hooks
        ".vscode",            // tasks.json, settings.json (interpreter and tool paths), launch.json
        ".idea",              // run configurations, external tools
        ".devcontainer",      // initializeCommand runs on the host
        ".claude",            // settings.json hooks run by Claude Code on the host
        ".github/workflows",  // CI runs them with the repository's secrets
    };
    return paths;
}

std::vector<std::string> agent_environment(const manifest::bottle_spec& bottle, const launch_request& request,
                                           const std::string& home) {
    std::map<std::string, std::string> env;
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
    for (const char* pass : {"TERM", "LANG"})
        if (auto it = request.launcher_env.find(pass); it != request.launcher_env.end()) env[pass] = it->second;
    for (const auto& [k, v] : bottle.env) env[k] = v;
    env["HOME"] = home;
    env["BOT_BOTTLE_ID"] = request.bottle_id;
    // The proxy variables are the launcher's, never the manifest's.
    static const char* proxy_vars[] = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
                                       "NO_PROXY",   "no_proxy"};
    for (const char* v : proxy_vars) env.erase(v);
    if (request.proxy_port) {
        const std::string url = "http://127.0.0.1:" + std::to_string(*request.proxy_port);
        for (const char* v : proxy_vars) env[v] = url;
        env["NO_PROXY"] = env["no_proxy"] = "";
    }
    std::vector<std::string> out;
    for (const auto& [k, v] : env) out.push_back(k + "=" + v);
    return out;
}

std::vector<seccomp_rule> seccomp_deny_list() {
    std::vector<seccomp_rule> r;
    auto deny = [&](std::initializer_list<const char*> names, const char* why, int e = EPERM) {
        for (const char* n : names) r.push_back({n, e, std::nullopt, why});
    };
    deny({"io_uring_setup", "io_uring_enter", "io_uring_register"}, "io_uring bypasses seccomp and has a history of kernel bugs");
    deny({"ptrace", "process_vm_readv", "process_vm_writev"}, "reading or steering other processes");
    deny({"bpf", "perf_event_open", "userfaultfd"}, "kernel attack surface used by exploits");
    deny({"add_key", "request_key", "keyctl"}, "kernel keyrings are not namespaced");
    deny({"mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
          "mount_setattr", "chroot"},
         "the mount table is the bottle's, not the agent's");
    deny({"unshare", "setns"}, "new namespaces would bring back capabilities");
    deny({"clone3"}, "its flags live in memory seccomp cannot read: ENOSYS makes libc fall back to clone", ENOSYS);
    const std::uint64_t ns_flags = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
                                   CLONE_NEWCGROUP | CLONE_NEWTIME;
    r.push_back({"clone", EPERM, seccomp_rule::arg_compare{0, ns_flags, 0, true}, "clone into new namespaces"});
    r.push_back({"ioctl", EPERM, seccomp_rule::arg_compare{1, 0xffffffffu, TIOCSTI, false}, "TIOCSTI injects input into a terminal"});
    r.push_back({"ioctl", EPERM, seccomp_rule::arg_compare{1, 0xffffffffu, TIOCLINUX, false}, "TIOCLINUX can inject console input"});
    for (auto [family, name] : {std::pair{AF_PACKET, "AF_PACKET"}, std::pair{AF_NETLINK, "AF_NETLINK"}, std::pair{AF_VSOCK, "AF_VSOCK"}})
        r.push_back({"socket", EAFNOSUPPORT, seccomp_rule::arg_compare{0, 0xffffffffu, static_cast<std::uint64_t>(family), false},
                     std::string(name) + " sockets reach past the bottle's loopback"});
    deny({"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff",
          "syslog", "acct", "quotactl", "open_by_handle_at", "name_to_handle_at", "iopl", "ioperm", "personality"},
         "host administration and handle-based file access");
    return r;
}

result<native_plan> plan_for(const manifest::bottle_spec& bottle, const launch_request& request, const host_facts& facts) {
    if (request.argv.empty() || request.argv.front().empty())
        return make_error(errc::invalid_argument, "no command to run: give one after --, or name an agent");
    if (bottle.backend && *bottle.backend != manifest::backend_kind::native)
        return make_error(errc::unsupported, "bottle " + bottle.name + " asks for another backend; only native is built");
    if (request.workspace && (request.workspace->empty() || request.workspace->front() != '/'))
        return make_error(errc::invalid_argument, "--workspace must be an absolute path");
    native_plan p;
    p.bottle_id = request.bottle_id;
    p.hostname = request.bottle_id.substr(0, 63);
    p.bottle_name = bottle.name;
    p.lineage = bottle.lineage;
    p.canonical = bottle.canonical;
    p.namespaces = {"user", "mount", "pid", "net", "ipc", "uts", "cgroup"};
    p.argv = request.argv;
    p.interactive = request.interactive;
    identity(p, request, facts);
    fill_limits(p, bottle, facts);
    system_mounts(p, facts);
    p.workdir = home_path;
    if (request.workspace) {
        p.mounts.push_back({mount_kind::bind_rw, *request.workspace, workspace_path, "", false});
        // Read-only, created when absent (else the agent could create them):
        // see protected_workspace_paths. .github is pinned (a mount point can
        // be neither renamed nor removed) so .github/workflows cannot be
        // moved aside and recreated writable.
        const std::string ws = *request.workspace, guest = workspace_path;
        p.mounts.push_back({mount_kind::pin, ws + "/.github", guest + "/.github", "", false});
        for (const auto& sub : protected_workspace_paths())
            p.mounts.push_back({mount_kind::protect, ws + "/" + sub, guest + "/" + sub, "", false});
        p.workdir = workspace_path;
    }
    std::set<std::string> guests;
    for (const auto& m : bottle.mounts) {
        const std::string host = expand_home(m.host, facts.home);
        if (host.empty() || host.front() != '/')
            return make_error(errc::invalid_argument, "mount " + m.host + " -> " + m.guest + ": the host path must be absolute (or start with ~/)");
        if (is_reserved_guest(m.guest) || m.guest == home_path || m.guest == "/tmp")
            return make_error(errc::invalid_argument, "mount " + m.host + " -> " + m.guest + ": " + m.guest +
                                                          " is part of the bottle's system; choose another guest path");
        if (request.workspace && m.guest == workspace_path)
            return make_error(errc::invalid_argument, "mount " + m.host + " -> " + m.guest + " collides with --workspace");
        if (request.workspace)
            for (const auto& sub : protected_workspace_paths())
                if (is_under(m.guest, std::string(workspace_path) + "/" + sub))
                    return make_error(errc::invalid_argument, "mount " + m.host + " -> " + m.guest + ": " + m.guest +
                                                                  " is a protected workspace path (read-only in the bottle); choose another guest path");
        p.mounts.push_back({m.read_write ? mount_kind::bind_rw : mount_kind::bind_ro, host, m.guest, "", false});
    }
    p.env = agent_environment(bottle, request, home_path);
    p.credential_env = request.credential_env;
    p.credential_files = request.credential_files;
    std::erase_if(p.env, [&](const std::string& e) { return p.credential_env.count(e.substr(0, e.find('='))) != 0; });
    p.seccomp = seccomp_deny_list();
    fill_landlock(p, facts);
    if (p.landlock.restrict_tcp) p.landlock.connect_port = request.proxy_port;
    p.egress = egress_routes_of(bottle.egress);
    p.proxy = !p.egress.empty();
    return p;
}

void use_proxy_port(native_plan& p, std::uint16_t port) {
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    std::vector<std::string> env;
    for (auto& e : p.env) {
        const auto name = e.substr(0, e.find('='));
        if (name == "HTTP_PROXY" || name == "HTTPS_PROXY" || name == "ALL_PROXY" || name == "http_proxy" ||
            name == "https_proxy" || name == "all_proxy" || name == "NO_PROXY" || name == "no_proxy")
            continue;
        env.push_back(std::move(e));
    }
    for (const char* v : {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"})
        env.push_back(std::string(v) + "=" + url);
    env.emplace_back("NO_PROXY=");
    env.emplace_back("no_proxy=");
    std::sort(env.begin(), env.end());
    p.env = std::move(env);
    if (p.landlock.restrict_tcp) p.landlock.connect_port = port;
}

const char* to_string(mount_kind k) {
    switch (k) {
        case mount_kind::bind_ro: return "bind-ro";
        case mount_kind::bind_rw: return "bind-rw";
        case mount_kind::tmpfs: return "tmpfs";
        case mount_kind::proc: return "proc";
        case mount_kind::dev: return "dev";
        case mount_kind::symlink: return "symlink";
        case mount_kind::mask: return "mask";
        case mount_kind::read_only: return "read-only";
        case mount_kind::scratch: return "scratch";
        case mount_kind::scratch_dir: return "scratch-dir";
        case mount_kind::protect: return "protect";
        case mount_kind::pin: return "pin";
    }
    return "?";
}

const char* to_string(limit_mechanism m) {
    switch (m) {
        case limit_mechanism::none: return "none";
        case limit_mechanism::cgroup_v2: return "cgroup-v2";
        case limit_mechanism::cgroup_v1: return "cgroup-v1";
        case limit_mechanism::rlimit: return "rlimit";
    }
    return "?";
}

boost::json::value to_json(const native_plan& p) {
    namespace json = boost::json;
    auto strings = [](const std::vector<std::string>& v) {
        json::array a;
        for (const auto& s : v) a.emplace_back(s);
        return a;
    };
    auto maps = [](const std::vector<id_map>& v) {
        json::array a;
        for (const auto& m : v) a.push_back(json::object{{"inside", m.inside}, {"outside", m.outside}, {"count", m.count}});
        return a;
    };
    json::array mounts;
    for (const auto& m : p.mounts) {
        json::object o{{"kind", to_string(m.kind)}, {"target", m.target}};
        if (!m.source.empty()) o["source"] = m.source;
        if (!m.options.empty()) o["options"] = m.options;
        if (m.optional) o["optional"] = true;
        mounts.push_back(std::move(o));
    }
    json::array seccomp;
    for (const auto& r : p.seccomp) {
        json::object o{{"syscall", r.syscall}, {"errno", r.errno_value}, {"why", r.why}};
        if (r.when)
            o["when"] = json::object{{"arg", r.when->arg}, {"mask", r.when->mask}, {"value", r.when->value},
                                     {"op", r.when->masked_nonzero ? "masked-nonzero" : "masked-eq"}};
        seccomp.push_back(std::move(o));
    }
    json::array ll_paths;
    for (const auto& r : p.landlock.paths) ll_paths.push_back(json::object{{"path", r.path}, {"access", r.list_only ? "list" : r.write ? "rw" : "ro"}});
    json::object landlock{{"abi", p.landlock.abi}, {"paths", std::move(ll_paths)}, {"restrict_tcp", p.landlock.restrict_tcp},
                          {"scope_abstract_unix", p.landlock.scope_abstract_unix}, {"scope_signal", p.landlock.scope_signal}};
    if (p.landlock.connect_port) landlock["connect_port"] = *p.landlock.connect_port;
    json::object limits{{"mechanism", to_string(p.limits.mechanism)}, {"why", p.limits.why}};
    if (p.limits.cpus) limits["cpus"] = *p.limits.cpus;
    if (p.limits.memory_mib) limits["memory_mib"] = *p.limits.memory_mib;
    if (p.limits.pids) limits["pids"] = *p.limits.pids;
    limits["disk_mib"] = p.limits.disk_mib;
    limits["disk_default"] = p.limits.disk_default;
    json::array credential_names;  // names only: the values are secrets
    for (const auto& [k, v] : p.credential_env) credential_names.emplace_back(k);
    json::array credential_files;  // names only: the contents are secrets
    for (const auto& [k, v] : p.credential_files) credential_files.emplace_back(std::string(home_path) + "/" + k);
    json::value bottle = json::parse(p.canonical.empty() ? std::string("{}") : p.canonical);
    return json::object{{"schema", "bot-bottle/run-plan/v1"},
                        {"backend", "native"},
                        {"bottle_id", p.bottle_id},
                        {"hostname", p.hostname},
                        {"bottle", json::object{{"name", p.bottle_name}, {"lineage", strings(p.lineage)}, {"resolved", bottle}}},
                        {"namespaces", strings(p.namespaces)},
                        {"identity", json::object{{"uid", p.agent_uid}, {"gid", p.agent_gid}, {"why", p.identity_why},
                                                  {"uid_map", maps(p.uid_map)}, {"gid_map", maps(p.gid_map)},
                                                  {"deny_setgroups", p.deny_setgroups},
                                                  {"drop_supplementary_groups", p.drop_supplementary_groups}}},
                        {"mounts", std::move(mounts)},
                        {"workdir", p.workdir},
                        {"env", strings(p.env)},
                        {"credential_env", credential_names},
                        {"credential_files", credential_files},
                        {"argv", strings(p.argv)},
                        {"no_new_privs", true},
                        {"capabilities", json::array{}},
                        {"seccomp", json::object{{"default", "allow"}, {"bad_arch", "kill-process"}, {"deny", std::move(seccomp)}}},
                        {"landlock", std::move(landlock)},
                        {"limits", std::move(limits)},
                        {"egress", strings(p.egress.allow)},
                        {"egress_tunnels", strings(p.egress.tunnels)},
                        {"proxy", p.proxy},
                        {"interactive", p.interactive}};
}

}  // namespace bottle::run::native
