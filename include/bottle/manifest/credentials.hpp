// bottle/manifest/credentials.hpp — how a provider's credentials reach the
// agent, decided before anything starts.
//
// plan_credentials is pure: it takes the host environment as a map (and a
// predicate for "this host file is readable") so the launcher calls it first
// and a missing credential is a clear error naming the variable and the
// remedy, never an agent that starts and fails to log in. The plan says which
// variables to set in the agent (the token itself) and which host files to
// copy in read-only; nothing else of the host environment is passed.
#pragma once

#include "bottle/manifest/provider.hpp"
#include "bottle/result.hpp"

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::manifest {

/// The host environment, name -> value (see environment_from for environ).
using env_map = std::map<std::string, std::string, std::less<>>;

/// Builds an env_map from an `environ`-style NULL-terminated array.
[[nodiscard]] inline env_map environment_from(const char* const* envp) {
    env_map out;
    for (; envp && *envp; ++envp) {
        std::string_view kv(*envp);
        auto eq = kv.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        out.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
    return out;
}

/// What the launcher passes to the agent for its credentials.
struct credential_plan {
    struct file {
        std::string host_path;   ///< absolute path on the host, read-only source
        std::string agent_path;  ///< relative to the agent's HOME
    };
    std::map<std::string, std::string> env;  ///< variables to set in the agent (may hold a secret)
    std::vector<file> files;                 ///< host files to copy in
};

/// Plans `p`'s credentials from the host environment `env`; `readable` says
/// whether a host file can be read (injected so this stays pure). Errors
/// (invalid_argument / not_found) name the variable or file and the remedy.
[[nodiscard]] inline result<credential_plan> plan_credentials(const provider& p, const env_map& env,
                                                              const std::function<bool(const std::string&)>& readable) {
    const auto& c = p.credentials;
    auto get = [&](std::string_view name) -> std::string {
        auto it = env.find(name);
        return it == env.end() ? std::string() : it->second;
    };
    const std::string who = "provider \"" + p.name + "\"";
    credential_plan plan;
    if (c.kind == credential_spec::kind_t::env_token) {
        const std::string token = get(c.host_env);
        if (token.empty())
            return make_error(errc::invalid_argument, who + ": missing credentials: " + c.host_env + " is not set; " + c.remedy);
        if (token.find_first_of("\r\n") != std::string::npos)
            return make_error(errc::invalid_argument, who + ": " + c.host_env + " holds a line break; it must be the token alone");
        plan.env.emplace(c.agent_env, token);
        return plan;
    }
    // login_file: only when the user opted in; forwarding a login is a choice.
    const std::string opt = get(c.opt_in_env);
    if (opt.empty() || opt == "0")
        return make_error(errc::invalid_argument, who + ": missing credentials: forwarding the host login is off (" + c.opt_in_env +
                                                      " is not 1); " + c.remedy);
    if (opt != "1") return make_error(errc::invalid_argument, who + ": " + c.opt_in_env + "=" + opt + ": expected 1 (forward) or 0 (do not)");
    std::string dir = get(c.host_dir_env);
    if (dir.empty()) {
        dir = c.host_dir;
        if (dir == "~" || dir.starts_with("~/")) {
            const std::string home = get("HOME");
            if (home.empty() || home.front() != '/')
                return make_error(errc::invalid_argument, who + ": cannot find the host login: HOME is not an absolute path and " + c.host_dir_env + " is not set");
            dir = home + dir.substr(1);
        }
    }
    if (dir.empty() || dir.front() != '/')
        return make_error(errc::invalid_argument, who + ": the host login directory \"" + dir + "\" is not an absolute path");
    const std::string path = dir + (dir.back() == '/' ? "" : "/") + c.file;
    if (!readable(path)) return make_error(errc::not_found, who + ": missing credentials: cannot read " + path + "; " + c.remedy);
    plan.files.push_back({path, c.agent_path});
    return plan;
}

}  // namespace bottle::manifest
