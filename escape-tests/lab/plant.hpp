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

}  // namespace bottle::escape::lab
