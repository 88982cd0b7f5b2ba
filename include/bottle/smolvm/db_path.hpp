// bottle/smolvm/db_path.hpp — where smolvm keeps its state database.
//
// Pure functions over an injected environment (never getenv directly), so
// every case is testable. Mirrors smolvm's rule (see
// reference/smolvm-state-db.md): platform local-data dir + smolvm/server/smolvm.db.
//   1. an explicit --db PATH wins;
//   2. SMOLVM_DATA_DIR=D: smolvm runs with HOME=D and XDG_* unset, so
//      Linux  D/.local/share/smolvm/server/smolvm.db
//      macOS  D/Library/Application Support/smolvm/server/smolvm.db
//   3. Linux: $XDG_DATA_HOME (only if absolute, as the `dirs` crate does) else
//      $HOME/.local/share; macOS: $HOME/Library/Application Support.
// An empty variable counts as unset. Missing HOME (when needed) is an error.
// A root-run `serve` with per-VM user drop uses /var/lib/smolvm instead: pass
// it with --db (`system_server_db_path()`).
#pragma once

#include "bottle/result.hpp"

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace bottle::smolvm {

enum class host_platform { linux_host, macos_host };

/// The platform this binary was built for (the database layout follows it).
[[nodiscard]] constexpr host_platform current_platform() noexcept {
#if defined(__APPLE__)
    return host_platform::macos_host;
#else
    return host_platform::linux_host;
#endif
}

/// Looks up one environment variable; nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(std::string_view)>;

/// An environment backed by a map (tests, or a captured environment).
[[nodiscard]] inline env_lookup env_from_map(std::map<std::string, std::string, std::less<>> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

/// The real process environment; for tools' `main` only.
[[nodiscard]] inline env_lookup process_env() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    };
}

/// The database of a root-run `smolvm serve` with per-VM user drop.
[[nodiscard]] inline std::filesystem::path system_server_db_path() { return "/var/lib/smolvm/server/smolvm.db"; }

namespace detail {

[[nodiscard]] inline std::optional<std::string> non_empty(const env_lookup& env, std::string_view name) {
    auto v = env(name);
    if (!v || v->empty()) return std::nullopt;
    return v;
}

[[nodiscard]] inline std::filesystem::path data_dir_under_home(const std::filesystem::path& home, host_platform p) {
    return p == host_platform::macos_host ? home / "Library" / "Application Support" : home / ".local" / "share";
}

}  // namespace detail

/// The smolvm state database path.
/// `explicit_db`: the --db argument, used as given when set (even if relative).
/// Errors: not_found when HOME is needed but unset or empty (the message says
/// to set HOME, SMOLVM_DATA_DIR, or pass --db). Never touches the filesystem.
[[nodiscard]] inline result<std::filesystem::path> database_path(const std::optional<std::string>& explicit_db, host_platform platform,
                                                                 const env_lookup& env) {
    if (explicit_db) {
        if (explicit_db->empty())
            return make_error(errc::invalid_argument, "smolvm database path: --db was given an empty path; pass the path of smolvm.db");
        return std::filesystem::path(*explicit_db);
    }
    const std::filesystem::path tail = std::filesystem::path("smolvm") / "server" / "smolvm.db";
    if (auto data_dir = detail::non_empty(env, "SMOLVM_DATA_DIR"))
        return detail::data_dir_under_home(*data_dir, platform) / tail;
    if (platform == host_platform::linux_host) {
        if (auto xdg = detail::non_empty(env, "XDG_DATA_HOME"); xdg && std::filesystem::path(*xdg).is_absolute())
            return std::filesystem::path(*xdg) / tail;
    }
    auto home = detail::non_empty(env, "HOME");
    if (!home)
        return make_error(errc::not_found,
                          "smolvm database path: HOME is not set, so the default location cannot be derived; "
                          "set HOME or SMOLVM_DATA_DIR, or pass --db PATH");
    return detail::data_dir_under_home(*home, platform) / tail;
}

}  // namespace bottle::smolvm
