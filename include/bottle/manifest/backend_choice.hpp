// bottle/manifest/backend_choice.hpp — which backend a launch uses.
//
// Pure: the caller passes what it read (the --backend flag, the value of
// BOT_BOTTLE_BACKEND, the resolved bottle's `backend`), so the rule is tested
// without a process environment. Precedence, first set wins:
//   1. --backend on the command line;
//   2. BOT_BOTTLE_BACKEND in the environment (like --backend, for a shell or CI);
//   3. the bottle's `backend`;
//   4. native (no daemon, no KVM).
// An empty flag or variable counts as unset. An unknown name is an error naming
// where it came from — never a silent fall back to another backend.
#pragma once

#include "bottle/manifest/backend_kind.hpp"
#include "bottle/result.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace bottle::manifest {

/// Where the chosen backend came from (for "backend docker (from BOT_BOTTLE_BACKEND)").
enum class backend_source { flag, environment, bottle, fallback };

struct backend_choice {
    backend_kind backend = backend_kind::native;
    backend_source source = backend_source::fallback;
};

inline constexpr std::string_view backend_env_var = "BOT_BOTTLE_BACKEND";

[[nodiscard]] constexpr std::string_view to_string(backend_source s) noexcept {
    switch (s) {
        case backend_source::flag: return "--backend";
        case backend_source::environment: return backend_env_var;
        case backend_source::bottle: return "the bottle";
        case backend_source::fallback: return "the default";
    }
    return "the default";
}

/// Chooses the backend by the precedence in the banner. Errors:
/// invalid_argument for an unknown name, naming its source.
[[nodiscard]] inline result<backend_choice> choose_backend(std::optional<std::string_view> flag, std::optional<std::string_view> env_value,
                                                           std::optional<std::string_view> bottle_backend = std::nullopt) {
    const std::array<std::pair<std::optional<std::string_view>, backend_source>, 3> in{
        {{flag, backend_source::flag}, {env_value, backend_source::environment}, {bottle_backend, backend_source::bottle}}};
    for (const auto& [value, source] : in) {
        if (!value || value->empty()) continue;
        auto b = parse_backend(*value);
        if (!b)
            return make_error(errc::invalid_argument, std::string(to_string(source)) + ": unknown backend \"" + std::string(*value) +
                                                          "\" (expected native, docker or smolmachines)");
        return backend_choice{*b, source};
    }
    return backend_choice{};
}

}  // namespace bottle::manifest
