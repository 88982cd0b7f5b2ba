// escape-tests/runner/output.hpp — reports of escape runs: human text, JSON
// (schema bot-bottle/escape-run/v1 and escape-compare/v1), JUnit XML, and the
// Markdown scorecard of `compare`.
#pragma once

#include "run.hpp"

#include <boost/json/value.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace bottle::escape {

/// "reachable (expected)" / "UNREACHABLE (profile claims it is allowed)" / ...
[[nodiscard]] std::string control_text(const run_result& r);

/// True when the positive control matches what the profile claims.
[[nodiscard]] bool control_as_expected(const run_result& r);

void write_text(std::ostream& os, const run_result& r, bool colour, bool verbose);
[[nodiscard]] boost::json::value to_json(const run_result& r);
[[nodiscard]] result<run_result> run_from_json(const boost::json::value& v);
[[nodiscard]] result<std::string> to_junit(const run_result& r);

/// The per-probe table across runs, rows = probes, columns = profiles.
[[nodiscard]] std::string compare_markdown(const std::vector<run_result>& runs);
[[nodiscard]] boost::json::value compare_json(const std::vector<run_result>& runs);

}  // namespace bottle::escape
