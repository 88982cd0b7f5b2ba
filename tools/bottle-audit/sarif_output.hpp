// tools/bottle-audit/sarif_output.hpp — an audit_outcome as a minimal SARIF
// 2.1.0 log (one run; for code-scanning dashboards).
//
// The driver lists every rule of the catalogue (audit_rules) with its title,
// default level and a `security-severity` score; each finding becomes a result
// with its ruleId/ruleIndex, level (critical/high -> error, medium -> warning,
// low/info -> note), message (message + remedy), the bot-bottle severity in
// `properties`, and a location: for a manifest finding the manifest file (a
// relative or absolute path as given) with the JSON pointer as a logical
// location; for a smolvm finding the database file with the machine as a
// logical location. An id missing from the catalogue still gets a result
// (without ruleIndex), never silently dropped.
#pragma once

#include "audit_outcome.hpp"
#include "audit_output.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace bottle::audit {

/// SARIF result level of a severity.
[[nodiscard]] constexpr std::string_view sarif_level(report::severity s) noexcept {
    switch (s) {
        case report::severity::critical:
        case report::severity::high: return "error";
        case report::severity::medium: return "warning";
        case report::severity::low:
        case report::severity::info: return "note";
    }
    return "error";
}

/// GitHub's `security-severity` score (0.0-10.0) of a severity.
[[nodiscard]] constexpr std::string_view sarif_security_severity(report::severity s) noexcept {
    switch (s) {
        case report::severity::critical: return "9.5";
        case report::severity::high: return "7.5";
        case report::severity::medium: return "5.0";
        case report::severity::low: return "3.0";
        case report::severity::info: return "0.0";
    }
    return "9.5";
}

namespace detail {

std::string file_uri_reference(std::string_view path);

boost::json::object sarif_location(const audit_outcome& o, const report::finding& f);

}  // namespace detail

/// The SARIF log (see the banner). `$schema` names the 2.1.0 JSON schema.
[[nodiscard]] boost::json::object audit_sarif(const audit_outcome& o);

}  // namespace bottle::audit
