#include "bottle-run/backends/smolmachines/plan.hpp"

#include "bottle-run/backends/native/plan.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace bottle::run::smolmachines {

namespace json = boost::json;

namespace {

/// Where the stage directory appears in the guest (read-only).
constexpr const char* guest_stage = "/run/bot-bottle";

const char* const proxy_vars[] = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"};

bool valid_machine_name(std::string_view s) {
    if (s.empty() || s.size() > 63 || s.front() == '-') return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

std::string expand_home(const std::string& path, const std::map<std::string, std::string>& env) {
    if (path == "~" || path.rfind("~/", 0) == 0) {
        auto it = env.find("HOME");
        if (it == env.end() || it->second.empty() || it->second.front() != '/') return {};
        return it->second + path.substr(1);
    }
    return path;
}

bool reserved_guest(const std::string& g) {
    static const std::set<std::string> system{"/", "/bin", "/sbin", "/lib", "/lib64", "/usr", "/etc", "/proc", "/sys", "/dev",
                                              "/run", "/tmp", "/var", "/boot", home_path, guest_stage};
    if (system.count(g)) return true;
    for (const char* p : {"/proc/", "/sys/", "/dev/", "/etc/", "/usr/", "/run/bot-bottle/"})
        if (g.rfind(p, 0) == 0) return true;
    return false;
}

/// 'text' for a POSIX shell: single quotes, each ' as '\''.
std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string toml_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

json::array strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

}  // namespace

const std::vector<std::string>& protected_paths() {
    static const std::vector<std::string> paths = [] {
        std::vector<std::string> p{".github"};
        for (const auto& sub : native::protected_workspace_paths()) p.push_back(sub);
        return p;
    }();
    return paths;
}

std::string smolvm_version::text() const {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch) + (prerelease ? "-pre" : "");
}

std::optional<smolvm_version> parse_version(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9' || (i > 0 && ((s[i - 1] >= '0' && s[i - 1] <= '9') || s[i - 1] == '.'))) continue;
        unsigned parts[3] = {0, 0, 0};
        std::size_t n = 0, j = i;
        while (n < 3 && j < s.size()) {
            const auto* first = s.data() + j;
            const auto r = std::from_chars(first, s.data() + s.size(), parts[n]);
            if (r.ec != std::errc{} || r.ptr - first > 6) break;
            j += static_cast<std::size_t>(r.ptr - first);
            ++n;
            if (n == 3 || j + 1 >= s.size() || s[j] != '.' || s[j + 1] < '0' || s[j + 1] > '9') break;
            ++j;
        }
        if (n >= 2) {
            const bool pre = j + 1 < s.size() && s[j] == '-' && std::isalnum(static_cast<unsigned char>(s[j + 1]));
            return smolvm_version{parts[0], parts[1], parts[2], pre};
        }
    }
    return std::nullopt;
}

version_verdict judge_version(const std::optional<smolvm_version>& v, bool uses_from) {
    version_verdict out;
    if (!v) {
        out.message = "cannot tell smolvm's version from `smolvm --version`, so cannot tell whether it enforces an egress "
                      "allowlist at all (before 1.1.3 it did not; docs/smolvm.md, \"Versions\"); refusing";
        return out;
    }
    if (*v < first_enforcing) {
        out.message = "smolvm " + v->text() + " runs CIDR policies on the TSI backend, which does not enforce them (fixed in " +
                      first_enforcing.text() + "; docs/smolvm.md, \"Versions\"): the VM would have unrestricted egress; "
                      "upgrade smolvm";
        return out;
    }
    out.allowed = true;
    if (uses_from && *v < first_keeping_from_allowlist) {
        out.expect_dropped_allowlist = true;
        out.message = "smolvm " + v->text() + " drops --allow-cidr with --from (fixed in " + first_keeping_from_allowlist.text() +
                      "; docs/smolvm.md, \"Versions\"): bottle-run writes the allowlist into the state database and "
                      "verifies it before start";
        return out;
    }
    out.message = "smolvm " + v->text();
    return out;
}

std::vector<std::string> guest_environment(const manifest::bottle_spec& bottle, const smolvm_request& request,
                                           const net::address_v4& alias, std::uint16_t port) {
    std::map<std::string, std::string> env;
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
    for (const char* pass : {"TERM", "LANG"})
        if (auto it = request.launcher_env.find(pass); it != request.launcher_env.end()) env[pass] = it->second;
    for (const auto& [k, v] : bottle.env) env[k] = v;
    env["HOME"] = home_path;
    env["BOT_BOTTLE_ID"] = request.bottle_id;
    // The proxy variables are the launcher's, never the manifest's: the VM's
    // only reachable address is the alias, and the proxy there decides.
    const std::string url = "http://" + alias.to_string() + ":" + std::to_string(port);
    for (const char* v : proxy_vars) env[v] = url;
    env["NO_PROXY"] = env["no_proxy"] = "";
    std::vector<std::string> out;
    for (const auto& [k, v] : env) out.push_back(k + "=" + v);
    return out;
}

result<smolvm_plan> plan_for(const manifest::bottle_spec& bottle, const smolvm_request& request, const net::address_v4& alias) {
    if (request.argv.empty() || request.argv.front().empty())
        return make_error(errc::invalid_argument, "no command to run: give one after --, or name an agent");
    if (bottle.backend && *bottle.backend != manifest::backend_kind::smolmachines)
        return make_error(errc::unsupported, "bottle " + bottle.name + " asks for another backend than smolmachines");
    if (!valid_machine_name(request.bottle_id))
        return make_error(errc::invalid_argument, "bottle id '" + request.bottle_id + "' cannot name a smolvm machine");
    if (!alias.is_loopback() || alias.to_uint() == 0x7f000001u)
        return make_error(errc::invalid_argument, "alias " + alias.to_string() + " is not a per-bottle loopback alias");
    if (request.workspace && (request.workspace->empty() || request.workspace->front() != '/'))
        return make_error(errc::invalid_argument, "--workspace must be an absolute path");
    if (request.stage_dir.empty() || request.stage_dir.front() != '/')
        return make_error(errc::invalid_argument, "the stage directory must be an absolute path");

    smolvm_plan p;
    p.bottle_id = request.bottle_id;
    p.machine = request.bottle_id;
    p.bottle_name = bottle.name;
    p.lineage = bottle.lineage;
    p.canonical = bottle.canonical;
    p.alias = alias;
    p.proxy_port = egress_port;
    p.bundle_ports = {{"egress", egress_port}};
    p.allowlist = {alias.to_string() + "/32"};
    p.argv = request.argv;
    p.stage_dir = request.stage_dir;
    p.egress = egress_routes_of(bottle.egress);
    p.env = guest_environment(bottle, request, alias, p.proxy_port);
    p.credential_env = request.credential_env;
    std::erase_if(p.env, [&](const std::string& e) { return p.credential_env.count(e.substr(0, e.find('='))) != 0; });
    for (const auto& e : p.env)
        if (e.find('\n') != std::string::npos || e.find('\0') != std::string::npos)
            return make_error(errc::invalid_argument, "environment variable " + e.substr(0, e.find('=')) + " holds a newline or NUL");

    // Volumes: the workspace, the bottle's mounts, the stage directory (ro).
    std::vector<std::string> volumes;
    std::set<std::string> guests;
    p.workdir = home_path;
    if (request.workspace) {
        volumes.push_back(*request.workspace + ":" + workspace_path);
        guests.insert(workspace_path);
        // The native backend's protected paths (git hooks and config, editor,
        // devcontainer, Claude Code and CI settings: run later by the host),
        // each its own read-only share over the workspace's; .github its own
        // share so that, being a mount point, it cannot be renamed aside and
        // .github/workflows recreated writable. The spine creates absent ones.
        for (const auto& sub : protected_paths()) {
            const bool pin = sub == ".github";
            volumes.push_back(*request.workspace + "/" + sub + ":" + workspace_path + "/" + sub + (pin ? "" : ":ro"));
        }
        p.workdir = workspace_path;
    }
    for (const auto& m : bottle.mounts) {
        const std::string host = expand_home(m.host, request.launcher_env);
        if (host.empty() || host.front() != '/')
            return make_error(errc::invalid_argument, "mount " + m.host + " -> " + m.guest + ": the host path must be absolute (or start with ~/)");
        const auto under = [&](const std::string& sub) {
            const std::string g = std::string(workspace_path) + "/" + sub;
            return m.guest == g || m.guest.rfind(g + "/", 0) == 0;
        };
        if (request.workspace && std::any_of(protected_paths().begin(), protected_paths().end(), under))
            return make_error(errc::invalid_argument, "mount " + m.host + " -> " + m.guest + " would cover a protected workspace path");
        if (reserved_guest(m.guest) || !guests.insert(m.guest).second)
            return make_error(errc::invalid_argument, "mount " + m.host + " -> " + m.guest + ": " + m.guest +
                                                          " is the bottle's own or already mounted; choose another guest path");
        if (host.find(':') != std::string::npos || m.guest.find(':') != std::string::npos)
            return make_error(errc::invalid_argument, "mount " + m.host + " -> " + m.guest + ": smolvm's -v cannot carry ':' in a path");
        volumes.push_back(host + ":" + m.guest + (m.read_write ? "" : ":ro"));
    }
    volumes.push_back(request.stage_dir + ":" + guest_stage + ":ro");

    // machine create: the allowlist on the command line (smolvm >= 1.8.0
    // stores it; older ones with --from drop it, which the spine patches and
    // every version's record is verified before start).
    p.create = {request.smolvm, "machine", "create", "--name", p.machine};
    if (request.from) p.create.insert(p.create.end(), {"--from", *request.from});
    else p.create.insert(p.create.end(), {"-I", request.image});
    if (bottle.resources.cpus) p.create.insert(p.create.end(), {"--cpus", std::to_string(*bottle.resources.cpus)});
    if (bottle.resources.memory_mib) p.create.insert(p.create.end(), {"--mem", std::to_string(*bottle.resources.memory_mib)});
    for (const auto& v : volumes) p.create.insert(p.create.end(), {"-v", v});
    for (const auto& e : p.env) p.create.insert(p.create.end(), {"-e", e});
    p.create.insert(p.create.end(), {"-w", p.workdir, "--net"});
    for (const auto& c : p.allowlist) p.create.insert(p.create.end(), {"--allow-cidr", c});
    p.start = {request.smolvm, "machine", "start", "-n", p.machine};
    p.stop = {request.smolvm, "machine", "stop", "-n", p.machine};
    p.remove = {request.smolvm, "machine", "delete", "-n", p.machine, "-f"};
    p.version = {request.smolvm, "--version"};
    p.exec = {request.smolvm, "machine", "exec", "--name", p.machine, "-w", p.workdir, "--"};
    if (!p.credential_env.empty()) {
        // Secrets never go on a command line (world-readable in /proc) nor
        // into the state database: a 0600 stage file the guest reads once.
        p.exec.insert(p.exec.end(), {"/bin/sh", "-c", std::string("set -a; . ") + guest_stage + "/credentials.env; set +a; exec \"$@\"",
                                     "sh"});
    }
    p.exec.insert(p.exec.end(), p.argv.begin(), p.argv.end());

    // Stage files: what the machine was made from, for people and for gc.
    std::string routes, guest_env;
    for (const auto& r : p.egress.allow) routes += r + "\n";
    for (const auto& r : p.egress.tunnels) routes += r + " tls=false\n";
    for (const auto& e : p.env) guest_env += e + "\n";
    std::string smolfile = "# what bottle-run created machine " + p.machine + " with (smolvm Smolfile)\n";
    smolfile += request.from ? "# from " + *request.from + "\n" : "image = " + toml_string(request.image) + "\n";
    if (bottle.resources.cpus) smolfile += "cpus = " + std::to_string(*bottle.resources.cpus) + "\n";
    if (bottle.resources.memory_mib) smolfile += "memory = " + std::to_string(*bottle.resources.memory_mib) + "\n";
    smolfile += "workdir = " + toml_string(p.workdir) + "\nnet = true\nenv = [";
    for (std::size_t i = 0; i < p.env.size(); ++i) smolfile += (i ? ", " : "") + toml_string(p.env[i]);
    smolfile += "]\nvolumes = [";
    for (std::size_t i = 0; i < volumes.size(); ++i) smolfile += (i ? ", " : "") + toml_string(volumes[i]);
    smolfile += "]\n\n[network]\nallow_cidrs = [" + toml_string(p.allowlist.front()) + "]\n";
    p.stage.push_back({"Smolfile", smolfile, 0644});
    p.stage.push_back({"egress.routes", routes, 0644});
    p.stage.push_back({"guest.env", guest_env, 0644});
    p.stage.push_back({"bottle.json", p.canonical.empty() ? std::string("{}\n") : p.canonical + "\n", 0644});
    if (!p.credential_env.empty()) {
        std::string creds;
        for (const auto& [k, v] : p.credential_env) creds += k + "=" + shell_quote(v) + "\n";
        p.stage.push_back({"credentials.env", creds, 0600});
    }
    return p;
}

result<void> judge_record(const smolvm::vm_record& r, bool before_start) {
    if (!r.dns_filter_hosts().empty()) {
        std::string names;
        for (const auto& h : r.dns_filter_hosts()) names += (names.empty() ? "" : ", ") + h;
        return make_error(errc::permission_denied, "machine " + r.name() + " carries dns_filter_hosts [" + names +
                                                       "]: smolvm would add their addresses to the allowlist at start");
    }
    if (r.network_backend() && *r.network_backend() != "virtio-net")
        return make_error(errc::permission_denied, "machine " + r.name() + " uses the network backend '" + *r.network_backend() +
                                                       "', which does not enforce an allowlist (only virtio-net does)");
    if (before_start && r.state() == smolvm::vm_state::running)
        return make_error(errc::permission_denied, "machine " + r.name() + " was already running before its allowlist was confirmed");
    return {};
}

json::value to_json(const smolvm_plan& p) {
    json::array credential_names;
    for (const auto& [k, v] : p.credential_env) credential_names.emplace_back(k);
    json::object ports;
    for (const auto& [k, v] : p.bundle_ports) ports[k] = v;
    json::array stage;
    for (const auto& f : p.stage) stage.push_back(json::object{{"name", f.name}, {"mode", f.mode}});
    json::value bottle = json::parse(p.canonical.empty() ? std::string("{}") : p.canonical);
    return json::object{{"schema", "bot-bottle/run-plan/v1"},
                        {"backend", "smolmachines"},
                        {"bottle_id", p.bottle_id},
                        {"machine", p.machine},
                        {"bottle", json::object{{"name", p.bottle_name}, {"lineage", strings(p.lineage)}, {"resolved", bottle}}},
                        {"alias", p.alias.to_string()},
                        {"bundle_ports", std::move(ports)},
                        {"allowlist", strings(p.allowlist)},
                        {"egress", strings(p.egress.allow)},
                        {"egress_tunnels", strings(p.egress.tunnels)},
                        {"env", strings(p.env)},
                        {"credential_env", std::move(credential_names)},
                        {"argv", strings(p.argv)},
                        {"workdir", p.workdir},
                        {"commands", json::object{{"create", strings(p.create)}, {"start", strings(p.start)}, {"exec", strings(p.exec)},
                                                  {"stop", strings(p.stop)}, {"delete", strings(p.remove)}}},
                        {"stage_dir", p.stage_dir},
                        {"stage", std::move(stage)}};
}

}  // namespace bottle::run::smolmachines
