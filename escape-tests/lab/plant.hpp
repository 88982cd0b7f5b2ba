// escape-tests/lab/plant.hpp — the run directory and what is planted in it:
// a fake HOME holding credentials with fresh canary tokens, a git workspace,
// the lab's resolv.conf.
#pragma once

#include "bottle/result.hpp"
#include "run_paths.hpp"

#include <string>

namespace bottle::escape::lab {

/// Creates the run directory (every directory of run_paths), plants the fake
/// home, the workspace and the lab resolv.conf. Returns the tokens; fails
/// naming the path it could not create or write (what was made stays for the
/// caller to remove with the run directory).
[[nodiscard]] result<token_map> plant(const run_paths& paths, const std::string& nonce);

/// The file handle of paths.handle_target() as "TYPE:HEX" (name_to_handle_at,
/// outside the lab): what a shocker-style attacker would forge. The file
/// lies in no directory the lab shows, on the workspace's filesystem; fails
/// when the filesystem gives no handles.
[[nodiscard]] result<std::string> handle_of_target(const run_paths& paths);

}  // namespace bottle::escape::lab
