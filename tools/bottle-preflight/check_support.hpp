// tools/bottle-preflight/check_support.hpp — small helpers shared by the checks.
//
// Version parsing, trimming, errno names and a constructor for results. Pure
// functions: no system access (that goes through system_probes).
#pragma once

#include "bottle/report/check.hpp"
#include "system_probes.hpp"

#include <chrono>

#include <cerrno>
#include <compare>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace bottle::preflight {

using report::check_result;
using report::check_status;

/// A dotted release number; missing parts are 0 ("0.8" == 0.8.0).
struct version {
    unsigned major = 0, minor = 0, patch = 0;
    friend auto operator<=>(const version&, const version&) = default;
    [[nodiscard]] std::string text() const {
        return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
    }
};

/// The first "N.N" or "N.N.N" token in `s` ("bubblewrap 0.8.0" -> 0.8.0,
/// "smolvm v1.9.2 (abc)" -> 1.9.2); nullopt if there is none or a part has
/// more than 6 digits.
[[nodiscard]] std::optional<version> find_version(std::string_view s);

/// `s` without leading/trailing ASCII whitespace.
[[nodiscard]] std::string_view trim(std::string_view s) noexcept;

/// The first non-empty line of `s`, trimmed (command output for messages).
[[nodiscard]] std::string first_line(std::string_view s);

/// Parses a whole (trimmed) decimal integer; nullopt otherwise.
[[nodiscard]] std::optional<long long> parse_integer(std::string_view s);

/// "ENOENT (No such file or directory)" for common codes, else strerror text.
[[nodiscard]] std::string errno_name(int e);

/// Builds a result; `remedy` is dropped for ok results (nothing to fix).
[[nodiscard]] check_result make_check(std::string id, std::string category, std::string title,
                                             check_status status, std::string found, std::string remedy = {});

/// `PATH --version` with a 5 s deadline, as every "program present" check
/// runs it. `output` is its stdout when it ran and exited 0; otherwise
/// `failure` says why (could not run, timed out, non-zero exit + stderr).
struct version_run {
    std::string output{};
    std::string failure{};
};

[[nodiscard]] version_run run_version(system_probes& p, const std::string& path);

}  // namespace bottle::preflight
