// tools/bottle-run/backend_select.hpp — which backend a launch uses.
//
// The precedence is manifest/backend_choice.hpp's: --backend, then
// $BOT_BOTTLE_BACKEND, then the bottle's `backend`, then native. native,
// docker and smolmachines are built; any other choice is an error naming it
// and where it came from (never a silent fall back to native).
#pragma once

#include "bottle/result.hpp"

#include <optional>
#include <string>

namespace bottle::run {

/// The chosen backend's name ("native"), or invalid_argument (unknown name)
/// or unsupported (a known backend that is not built). `bottle_backend` is
/// the resolved bottle's `backend`, when it has one.
[[nodiscard]] result<std::string> select_backend(const std::optional<std::string>& flag, const std::optional<std::string>& env_value,
                                                 const std::optional<std::string>& bottle_backend);

}  // namespace bottle::run
