#include "exit_codes.hpp"

#include "output.hpp"

#include <algorithm>

namespace bottle::escape {

std::optional<expectation> expectation_from(std::string_view text) {
    if (text.empty()) return expectation::none;
    if (text == "all-escaped") return expectation::all_escaped;
    if (text == "no-error") return expectation::no_error;
    if (text == "contained") return expectation::contained;
    return std::nullopt;
}

int run_exit_code(const run_result& r, expectation expect) {
    const auto t = count(r.verdicts);
    switch (expect) {
        case expectation::all_escaped: {
            // Every declared path of every probe, not one path per probe.
            const bool every_path = std::all_of(r.verdicts.begin(), r.verdicts.end(),
                                                [](const probe_verdict& v) { return v.control_gaps.empty(); });
            return r.completed() && t.blocked == 0 && t.error == 0 && every_path && control_as_expected(r) ? exit_ok
                                                                                                           : exit_escaped;
        }
        case expectation::no_error:
            return r.completed() && t.error == 0 && control_as_expected(r) ? exit_ok : exit_escaped;
        case expectation::contained:
            return r.completed() && t.error == 0 && t.escaped == 0 && control_as_expected(r) ? exit_ok : exit_escaped;
        case expectation::none: break;
    }
    if (!r.completed() || t.error > 0) return exit_incomplete;
    return t.escaped > 0 ? exit_escaped : exit_ok;
}

int compare_exit_code(const std::vector<run_result>& runs) {
    for (const auto& r : runs)
        if (!r.completed() || count(r.verdicts).error > 0) return exit_incomplete;
    return exit_ok;
}

}  // namespace bottle::escape
