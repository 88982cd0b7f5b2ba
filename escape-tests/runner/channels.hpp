// escape-tests/runner/channels.hpp — the verdict of a probe with no evidence.
//
// BLOCKED is a claim that the attack was made and stopped, so it needs proof
// that it was made: at least one attempt really issued (made) on every
// channel the probe declares. Otherwise (per probe, with nothing observed):
//   ERROR  no report; the probe said error; an attempt on a channel it never
//          declared (a probe bug); a channel with no made attempt and no
//          confirmed N/A; an N/A claim no outside fact confirms
//   N/A    the probe said na with a key confirmed outside, or every channel
//          is N/A with a confirmed key
//   BLOCKED every channel has a made attempt or a confirmed N/A, at least one
//          made
// Pure logic, unit-tested in tests/score_test.cpp.
#pragma once

#include "../protocol/lines.hpp"
#include "applicability.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace bottle::escape {

/// ESCAPED: evidence seen outside the sandbox. EXPOSED: only in-sandbox
/// evidence (the kernel accepted a dangerous call), counted apart and never
/// added to ESCAPED.
enum class verdict { escaped, exposed, blocked, error, not_applicable };

struct no_evidence_verdict {
    verdict result = verdict::error;  // fail closed
    std::string reason;
};

[[nodiscard]] inline no_evidence_verdict judge_without_evidence(const protocol::probe_listing& meta,
                                                                const std::optional<protocol::probe_line>& report,
                                                                const host_facts& facts) {
    using protocol::probe_status;
    if (auto why = machine_rules_out(meta.id, facts)) return {verdict::not_applicable, "not testable on this machine: " + *why};
    if (!report) return {verdict::error, "no report from the probe (the sandbox did not run it, or it was killed)"};
    if (report->status == probe_status::error) return {verdict::error, report->reason};
    if (report->status == probe_status::na) {
        if (auto why = confirm_applicability(report->applicability, facts))
            return {verdict::not_applicable, report->reason + " (confirmed outside: " + *why + ")"};
        return {verdict::error, "N/A claimed inside the sandbox but not confirmed outside (key '" + report->applicability +
                                    "'): " + report->reason};
    }
    const std::vector<std::string> declared = meta.channels.empty() ? std::vector<std::string>{""} : meta.channels;
    auto label = [](const std::string& c) { return c.empty() ? std::string("the attack") : "channel '" + c + "'"; };
    for (const auto& a : report->attempts)
        if (std::find(declared.begin(), declared.end(), a.channel) == declared.end())
            return {verdict::error, "probe bug: an attempt on undeclared channel '" + a.channel + "' (" + a.action + ")"};
    std::string missing, not_applicable;
    std::size_t made_channels = 0, na_channels = 0;
    for (const auto& c : declared) {
        if (auto why = channel_ruled_out(meta.id, c, facts)) {
            ++na_channels;
            not_applicable += (not_applicable.empty() ? "" : "; ") + label(c) + " is not testable here: " + *why;
            continue;
        }
        bool made = false;
        std::optional<std::string> na;
        std::string why_not;
        for (const auto& a : report->attempts) {
            if (a.channel != c) continue;
            if (a.made) made = true;
            else if (!a.na.empty() && !na) {
                if (auto confirmed = confirm_applicability(a.na, facts)) na = a.outcome + " (" + *confirmed + ")";
                else why_not += (why_not.empty() ? "" : "; ") + a.action + ": N/A not confirmed outside: " + a.outcome;
            } else if (a.na.empty()) {
                why_not += (why_not.empty() ? "" : "; ") + a.action + ": " + a.outcome;
            }
        }
        if (made) ++made_channels;
        else if (na) {
            ++na_channels;
            not_applicable += (not_applicable.empty() ? "" : "; ") + label(c) + " does not apply: " + *na;
        } else {
            missing += (missing.empty() ? "" : "; ") + label(c) + " was not attempted" +
                       (why_not.empty() ? std::string(" (no attempt recorded)") : " (" + why_not + ")");
        }
    }
    if (!missing.empty()) return {verdict::error, missing};
    if (made_channels == 0) return {verdict::not_applicable, not_applicable};
    return {verdict::blocked, not_applicable};
}

}  // namespace bottle::escape
