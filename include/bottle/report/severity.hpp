// bottle/report/severity.hpp — how bad a finding is, as an ordered scale.
//
// info < low < medium < high < critical. The order is the enum's order, so
// `a < b` and `at_least(s, threshold)` compare badness (bottle-audit's
// `--fail-on` threshold). Names are lowercase and stable: they appear in JSON
// output and on command lines.
#pragma once

#include "bottle/result.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace bottle::report {

enum class severity : std::uint8_t { info = 0, low = 1, medium = 2, high = 3, critical = 4 };

/// Every severity, least severe first.
inline constexpr std::array<severity, 5> all_severities{severity::info, severity::low, severity::medium,
                                                        severity::high, severity::critical};

/// The stable lowercase name ("info" ... "critical").
[[nodiscard]] constexpr std::string_view to_string(severity s) noexcept {
    switch (s) {
        case severity::info: return "info";
        case severity::low: return "low";
        case severity::medium: return "medium";
        case severity::high: return "high";
        case severity::critical: return "critical";
    }
    return "critical";  // unreachable for valid values; an unknown value is treated as the worst
}

/// Parses an exact lowercase name. Anything else (other case, whitespace,
/// unknown word) fails with errc::invalid_argument naming the accepted values.
[[nodiscard]] inline result<severity> parse_severity(std::string_view text) {
    for (severity s : all_severities) {
        if (to_string(s) == text) return s;
    }
    return make_error(errc::invalid_argument, "unknown severity '" + std::string(text) +
                                                  "': expected one of info, low, medium, high, critical");
}

/// True when `s` is as severe as `threshold` or worse.
[[nodiscard]] constexpr bool at_least(severity s, severity threshold) noexcept { return s >= threshold; }

}  // namespace bottle::report
