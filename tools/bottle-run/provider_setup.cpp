#include "bottle-run/provider_setup.hpp"

#include "bottle/manifest/credentials.hpp"
#include "bottle/os/file.hpp"

#include <boost/json/array.hpp>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#ifndef BOTTLE_RUN_SOURCE_DIR
#define BOTTLE_RUN_SOURCE_DIR ""
#endif

namespace bottle::run {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

}  // namespace

result<manifest::provider_set> load_provider_templates(const std::map<std::string, std::string>& env) {
    std::optional<std::string_view> override_dir;
    if (auto it = env.find("BOT_BOTTLE_PROVIDERS"); it != env.end()) override_dir = it->second;
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    const auto dirs = manifest::provider_dirs(override_dir, ec ? std::filesystem::path() : exe.parent_path(),
                                              std::filesystem::path(BOTTLE_RUN_SOURCE_DIR));
    auto dir = manifest::find_providers_dir(dirs, [](const std::filesystem::path& d) {
        std::error_code e;
        return std::filesystem::is_directory(d, e);
    });
    if (!dir) return dir.error();
    return manifest::load_providers(*dir);
}

result<provider_launch> prepare_provider(const manifest::provider& p, const std::map<std::string, std::string>& env) {
    const manifest::env_map host(env.begin(), env.end());
    auto plan = manifest::plan_credentials(p, host, [](const std::string& path) { return ::access(path.c_str(), R_OK) == 0; });
    if (!plan) return plan.error();
    provider_launch out;
    // A login file is read now, before anything starts, and copied into the
    // agent's fresh HOME at exec time: the host's file is never mounted, so
    // the agent can refresh its copy but cannot change the host's.
    for (const auto& f : plan->files) {
        const std::filesystem::path rel(f.agent_path);
        bool plain = !f.agent_path.empty() && rel.is_relative();
        for (const auto& part : rel) plain = plain && part != ".." && part != "." && !part.empty();
        if (!plain) return make_error(errc::invalid_argument, "provider " + p.name + ": agent path " + f.agent_path + " is not a plain path under HOME");
        auto content = os::read_file(f.host_path, 1 << 20);
        if (!content) return error{content.error().code, "provider " + p.name + ": cannot forward the login " + f.host_path + ": " + content.error().message};
        out.credential_files.emplace(f.agent_path, std::move(*content));
    }
    out.name = p.name;
    out.source = p.source;
    out.env = p.env;
    out.credential_env = std::move(plan->env);
    for (const auto& route : p.egress) {  // parse_provider checked the form
        const auto& o = route.as_object();
        manifest::egress_route r{std::string(o.at("host").as_string()), {}};
        if (const auto* ports = o.if_contains("ports"))
            for (const auto& port : ports->as_array()) r.ports.push_back(static_cast<std::uint16_t>(manifest::detail::port_of(port)));
        if (const auto* tls = o.if_contains("tls")) r.tls = tls->as_bool();
        out.egress.push_back(std::move(r));
    }
    return out;
}

void add_provider(manifest::bottle_spec& bottle, const provider_launch& p) {
    for (const auto& r : p.egress) {
        const auto host = lower(r.host);
        const bool named = std::any_of(bottle.egress.begin(), bottle.egress.end(), [&](const auto& b) { return lower(b.host) == host; });
        if (!named) bottle.egress.push_back(r);
    }
    for (const auto& [k, v] : p.env) bottle.env.emplace(k, v);  // emplace: the bottle's value stays
}

boost::json::object provider_json(const provider_launch& p) {
    boost::json::array routes, names;
    for (const auto& r : p.egress) {
        boost::json::array ports;
        for (auto port : r.ports) ports.emplace_back(port);
        boost::json::object o{{"host", r.host}};
        if (!ports.empty()) o["ports"] = std::move(ports);
        if (!r.tls) o["tls"] = false;
        routes.push_back(std::move(o));
    }
    for (const auto& [k, v] : p.credential_env) names.emplace_back(k);
    boost::json::array files;  // names only: the contents are secrets
    for (const auto& [k, v] : p.credential_files) files.emplace_back(k);
    boost::json::object env;
    for (const auto& [k, v] : p.env) env[k] = v;
    return {{"name", p.name}, {"template", p.source}, {"egress", std::move(routes)}, {"env", std::move(env)}, {"credential_env", std::move(names)},
            {"credential_files", std::move(files)}};
}

}  // namespace bottle::run
