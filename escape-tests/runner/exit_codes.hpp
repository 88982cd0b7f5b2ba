// escape-tests/runner/exit_codes.hpp — what `bottle-escape run` and
// `compare` exit with (docs/escape-harness.md lists them).
#pragma once

#include "run.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace bottle::escape {

/// --expect: all-escaped (the control run), no-error (peer runs), contained
/// (bot-bottle's own bottles: no error and nothing escaped), or none.
enum class expectation { none, all_escaped, no_error, contained };

/// "" -> none, "all-escaped", "no-error", "contained"; nullopt for anything else.
[[nodiscard]] std::optional<expectation> expectation_from(std::string_view text);

/// Exit codes.
inline constexpr int exit_ok = 0;
inline constexpr int exit_escaped = 1;     ///< a probe escaped, or --expect was not met
inline constexpr int exit_usage = 2;
inline constexpr int exit_incomplete = 3;  ///< the run could not be completed, or a probe is ERROR

/// `run`: with an expectation, 0 when it is met and 1 otherwise; without,
/// 3 when the run is incomplete or a probe is ERROR, else 1 when a probe
/// escaped, else 0.
[[nodiscard]] int run_exit_code(const run_result& r, expectation expect);

/// `compare`: 3 when a run is incomplete or any probe of any run is ERROR
/// (a scorecard with holes must not pass as complete), else 0.
[[nodiscard]] int compare_exit_code(const std::vector<run_result>& runs);

}  // namespace bottle::escape
