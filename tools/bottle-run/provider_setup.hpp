// tools/bottle-run/provider_setup.hpp — what an agent's provider template
// adds to a launch: its routes, its (non-secret) environment and its planned
// credentials.
//
// Templates are found as docs/agents.md says ($BOT_BOTTLE_PROVIDERS, else the
// installed data directory next to the binary, else the source tree). The
// credentials are planned before anything starts, so a missing token is an
// error with its remedy, never an agent that starts and cannot log in. The
// provider's routes stay apart from the resolved bottle (the dry-run shows
// both); the launch gives bottle-egress the union.
#pragma once

#include "bottle/manifest/bottle_spec.hpp"
#include "bottle/manifest/provider.hpp"
#include "bottle/result.hpp"

#include <boost/json/object.hpp>

#include <map>
#include <string>
#include <vector>

namespace bottle::run {

/// The provider part of an agent's launch.
struct provider_launch {
    std::string name, source;
    std::vector<manifest::egress_route> egress;          ///< the template's routes
    std::map<std::string, std::string> env;              ///< the template's env (not secrets)
    std::map<std::string, std::string> credential_env;   ///< the planned credential variables (secrets)
    /// Login files to copy into the agent's HOME: path relative to HOME ->
    /// content, read from the host now (secrets; codex's opt-in login).
    std::map<std::string, std::string> credential_files;
};

/// Loads the templates from the first directory found. `env` is the
/// launcher's environment (BOT_BOTTLE_PROVIDERS). Errors: not_found (no
/// directory; the message lists where it looked), and load_providers'.
[[nodiscard]] result<manifest::provider_set> load_provider_templates(const std::map<std::string, std::string>& env);

/// Plans `p`'s credentials from `env` and collects its routes and env.
/// Errors: plan_credentials' (missing credential: names the variable and the
/// remedy); io_error / limit_exceeded when a login file to forward cannot be
/// read or is over 1 MiB; invalid_argument for an agent path that is not a
/// plain relative path.
[[nodiscard]] result<provider_launch> prepare_provider(const manifest::provider& p, const std::map<std::string, std::string>& env);

/// Adds the provider's routes and env to `bottle`: a route for a host the
/// bottle already names is skipped (the bottle's decision stands), a variable
/// the bottle sets keeps the bottle's value.
void add_provider(manifest::bottle_spec& bottle, const provider_launch& p);

/// For --dry-run: name, template file, routes, env, and the credential
/// variables' names — never their values.
[[nodiscard]] boost::json::object provider_json(const provider_launch& p);

}  // namespace bottle::run
