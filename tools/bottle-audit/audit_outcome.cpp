#include "bottle-audit/audit_outcome.hpp"

namespace bottle::audit {

std::optional<audit_rule> find_rule(std::string_view id) noexcept {
    for (const auto& r : audit_rules)
        if (r.id == id) return r;
    return std::nullopt;
}

std::array<std::size_t, 5> count_by_severity(const std::vector<report::finding>& findings) noexcept {
    std::array<std::size_t, 5> n{};
    for (const auto& f : findings) ++n[static_cast<std::size_t>(f.severity)];
    return n;
}

void sort_findings(std::vector<report::finding>& findings) {
    std::vector<std::size_t> order(findings.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
        const auto& a = findings[i];
        const auto& b = findings[j];
        if (a.severity != b.severity) return a.severity > b.severity;
        if (a.id != b.id) return a.id < b.id;
        return a.subject < b.subject;
    });
    std::vector<report::finding> sorted;
    sorted.reserve(findings.size());
    for (auto i : order) sorted.push_back(std::move(findings[i]));
    findings.swap(sorted);
}

}  // namespace bottle::audit
