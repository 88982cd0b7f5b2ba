// tests/support/audit_findings.hpp — picking findings out of an audit outcome.
#pragma once

#include "bottle-audit/audit_outcome.hpp"

#include <string>
#include <vector>

namespace bottle::test_support {

/// The findings with this id (any when empty) about this subject (any when empty).
inline std::vector<report::finding> findings_of(const audit::audit_outcome& o, const std::string& id, const std::string& subject = "") {
    std::vector<report::finding> out;
    for (const auto& f : o.findings)
        if ((id.empty() || f.id == id) && (subject.empty() || f.subject == subject)) out.push_back(f);
    return out;
}

}  // namespace bottle::test_support
