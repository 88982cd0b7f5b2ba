// tools/bottle-audit/audit_output.hpp — an audit_outcome as text, as the
// versioned JSON document (bot-bottle/audit/v1) and as JUnit XML.
//
// All three show the same findings in the same order (most severe first) and
// judge them against the same `--fail-on` threshold. Text goes through
// report/text_writer (colour only when the caller says so; outside text
// printed with control bytes escaped). JUnit: one suite per audit kind, one
// test case per subject (machine or bottle) — a failure when one of its
// findings reaches the threshold, passed otherwise (findings below the
// threshold in <system-out>). The JSON document is described in
// docs/bottle-audit.md.
#pragma once

#include "audit_outcome.hpp"

#include "bottle/report/json_writer.hpp"
#include "bottle/report/junit_writer.hpp"
#include "bottle/report/text_writer.hpp"

#include <boost/json/serialize.hpp>

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bottle::audit {

#ifdef BOTTLE_VERSION
inline constexpr std::string_view tool_version = BOTTLE_VERSION;
#else
inline constexpr std::string_view tool_version = "0.1.0";
#endif

/// "machines" / "bottles": what the subjects of an audit kind are called.
[[nodiscard]] std::string_view subject_noun(const audit_outcome& o);

/// The report: a header line, every finding (report::write_finding), a
/// summary line with counts per severity and the verdict against `fail_on`.
void write_text(std::ostream& out, const audit_outcome& o, report::severity fail_on, report::text_style style);

/// {"schema":"bot-bottle/audit/v1","tool","version","audit","target",["pool",]
///  "fail_on","ok","subjects","summary":{critical,high,medium,low,info},"findings":[...]}
[[nodiscard]] boost::json::object audit_document(const audit_outcome& o, report::severity fail_on);

namespace detail {

std::string finding_line(const report::finding& f);

}  // namespace detail

/// The JUnit report (see the banner). Findings whose subject is not in
/// `o.subjects` (none are, by audit_outcome's contract) get their own case.
[[nodiscard]] report::junit_report audit_junit(const audit_outcome& o, report::severity fail_on);

}  // namespace bottle::audit
