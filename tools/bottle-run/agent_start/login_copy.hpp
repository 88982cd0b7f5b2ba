// tools/bottle-run/agent_start/login_copy.hpp — bottle-agent-start's
// --login SOURCE=RELATIVE: a provider's login file (codex's opt-in
// auth.json) put into the agent's HOME, which in a docker bottle is a tmpfs
// that exists only once the container runs. The launcher binds a private
// copy read-only at SOURCE; this writes it to $HOME/RELATIVE as the agent's
// own user, 0600, its parents 0700, never through a symlink — as the native
// backend places it — so the agent may rewrite its copy (token refresh) and
// the host's file never changes. libc only (the program is static).
#pragma once

#include <optional>
#include <string>

namespace bottle::agent_start {

struct login_spec {
    std::string source;    ///< absolute: the read-only copy in the container
    std::string relative;  ///< under $HOME: no empty, "." or ".." part, not absolute
};

/// Parses SOURCE=RELATIVE strictly. None, with `why` set, when it is not one.
[[nodiscard]] std::optional<login_spec> parse_login_spec(const char* text, std::string& why);

/// Copies `spec.source` (at most 1 MiB) to `home`/`spec.relative`: false
/// with `why` when it cannot (the file exists already, a part is a symlink
/// or not a directory, the source is unreadable or too big).
[[nodiscard]] bool place_login(const login_spec& spec, const char* home, std::string& why);

}  // namespace bottle::agent_start
