// bottle/manifest/backend_kind.hpp — the backends a bottle can run on, by name.
#pragma once

#include <optional>
#include <string_view>

namespace bottle::manifest {

enum class backend_kind { native, docker, smolmachines };

[[nodiscard]] constexpr std::string_view to_string(backend_kind b) noexcept {
    switch (b) {
        case backend_kind::native: return "native";
        case backend_kind::docker: return "docker";
        case backend_kind::smolmachines: return "smolmachines";
    }
    return "native";
}

/// The backend named `name` (exact, lower case), or nothing.
[[nodiscard]] constexpr std::optional<backend_kind> parse_backend(std::string_view name) noexcept {
    for (auto b : {backend_kind::native, backend_kind::docker, backend_kind::smolmachines})
        if (to_string(b) == name) return b;
    return std::nullopt;
}

}  // namespace bottle::manifest
