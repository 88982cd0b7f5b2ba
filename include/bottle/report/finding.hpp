// bottle/report/finding.hpp — one thing an audit found wrong.
//
// A finding says what (stable `id`), how bad (`severity`), about what
// (`subject`: a machine, file, JSON pointer), why (`message`), how to fix it
// (`remedy`) and what was seen (`evidence`: a string or any JSON value; null
// when there is none). A default-constructed finding is `critical`: a finding
// nobody classified is treated as the worst case, never silently as "info".
#pragma once

#include "bottle/report/severity.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace bottle::report {

struct finding {
    std::string id{};                       ///< stable, dotted: "smolvm.unrestricted_egress"
    report::severity severity = report::severity::critical;
    std::string subject{};                  ///< what it is about: "vm agent1", "bottles/dev.json#/egress/0"
    std::string message{};                  ///< what is wrong and why it matters
    std::string remedy{};                   ///< the command or setting that fixes it; empty if none
    boost::json::value evidence{};          ///< string or structured JSON; null when none

    friend bool operator==(const finding&, const finding&) = default;
};

/// The most severe finding's severity; nullopt for an empty list.
[[nodiscard]] inline std::optional<severity> worst_severity(std::span<const finding> findings) {
    std::optional<severity> worst;
    for (const auto& f : findings) {
        if (!worst || f.severity > *worst) worst = f.severity;
    }
    return worst;
}

/// How many findings are at `threshold` or worse.
[[nodiscard]] inline std::size_t count_at_least(std::span<const finding> findings, severity threshold) {
    return static_cast<std::size_t>(std::count_if(findings.begin(), findings.end(),
                                                  [&](const finding& f) { return at_least(f.severity, threshold); }));
}

/// Orders findings most severe first, then by id, then by subject (stable
/// for equal keys), so reports are deterministic whatever the scan order.
inline void sort_for_report(std::vector<finding>& findings) {
    std::stable_sort(findings.begin(), findings.end(), [](const finding& a, const finding& b) {
        if (a.severity != b.severity) return a.severity > b.severity;
        if (a.id != b.id) return a.id < b.id;
        return a.subject < b.subject;
    });
}

}  // namespace bottle::report
