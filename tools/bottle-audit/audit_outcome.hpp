// tools/bottle-audit/audit_outcome.hpp — what one audit produced, and the
// catalogue of every finding id bottle-audit can report.
//
// An audit_outcome lists every subject it looked at (machines, bottles) in
// audit order, and the findings about them sorted for the report (most severe
// first). Every finding's subject is one of the listed subjects, so output
// formats can show subjects without findings as clean. The catalogue
// (`audit_rules`) is the single list of ids, default severities and titles:
// the SARIF writer and docs/bottle-audit.md follow it, and a test checks that
// the audits never emit an id missing from it.
#pragma once

#include "bottle/report/finding.hpp"
#include "bottle/report/severity.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::audit {

struct audit_outcome {
    std::string kind{};                      ///< "smolvm" or "manifest"
    std::string target{};                    ///< the database or manifest path that was audited
    std::string pool{};                      ///< smolvm: the loopback pool judged against; empty otherwise
    std::vector<std::string> subjects{};     ///< "vm NAME" / "bottle NAME", in audit order
    std::vector<report::finding> findings{};  ///< sorted with report::sort_for_report
};

/// One finding id: its usual severity (some ids are raised or lowered by
/// what was found; the finding carries the actual one) and a one-line title.
struct audit_rule {
    std::string_view id;
    report::severity severity;
    std::string_view title;
};

inline constexpr std::array<audit_rule, 19> audit_rules{{
    {"smolvm.unrestricted_egress", report::severity::critical, "network on with no CIDR allowlist (unrestricted egress)"},
    {"smolvm.allowlist_entry_too_wide", report::severity::high, "allowlist entry wider than one address"},
    {"smolvm.allowlist_entry_outside_pool", report::severity::high, "allowlist entry outside the loopback pool"},
    {"smolvm.allowlist_entry_shared", report::severity::high, "allowlist entry shared with another machine"},
    {"smolvm.allowlist_entry_invalid", report::severity::high, "allowlist entry that is not a CIDR"},
    {"smolvm.policy_on_tsi", report::severity::high, "CIDR policy on the TSI backend, which does not enforce it"},
    {"smolvm.malformed_record", report::severity::high, "machine record that cannot be decoded"},
    {"smolvm.host_filter_without_cidr_policy", report::severity::medium, "hosts allowed by name without a CIDR policy"},
    {"smolvm.unknown_network_backend", report::severity::medium, "unknown network backend with a CIDR policy"},
    {"smolvm.network_off", report::severity::info, "network off: no egress at all"},
    {"manifest.route_matches_everything", report::severity::critical, "egress route that matches every host"},
    {"manifest.route_public_suffix_wildcard", report::severity::critical, "wildcard route on a public suffix (*.com)"},
    {"manifest.route_shared_hosting_wildcard", report::severity::high, "wildcard route on a shared hosting domain"},
    {"manifest.route_ip_literal", report::severity::medium, "egress route to an IP literal"},
    {"manifest.route_numeric_host", report::severity::high, "egress route host that is neither a name nor a strict address"},
    {"manifest.route_malformed_wildcard", report::severity::medium, "'*' anywhere but a whole leading label"},
    {"manifest.route_refused_by_proxy", report::severity::high, "egress route the proxy refuses to load"},
    {"manifest.route_unusual_port", report::severity::low, "egress route port other than 80 or 443"},
    {"manifest.bottle_no_egress", report::severity::low, "bottle with no egress route"},
}};

/// The rule of `id`, or nullopt when bottle-audit does not know it.
[[nodiscard]] std::optional<audit_rule> find_rule(std::string_view id) noexcept;

/// Counts per severity, indexed by the severity's value (info = 0 .. critical = 4).
[[nodiscard]] std::array<std::size_t, 5> count_by_severity(const std::vector<report::finding>& findings) noexcept;

/// The order of report::sort_for_report (most severe first, then id, then
/// subject; stable), reached by sorting indices and moving each finding once:
/// sorting the findings themselves moves their strings and JSON evidence
/// O(n log n) times, which dominated a 100,000-machine audit.
void sort_findings(std::vector<report::finding>& findings);

}  // namespace bottle::audit
