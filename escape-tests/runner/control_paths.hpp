// escape-tests/runner/control_paths.hpp — the control run checks every path.
//
// Under `--expect all-escaped` (profile none) a probe used to pass when its
// verdict was ESCAPED, which one path that escaped was enough for: a probe
// whose IPv6 path was broken still passed on its IPv4 one. A probe now says,
// per attempt, which tag that attempt put in what it sent
// (probe_line::expects, report::expect). The control passes a probe only
// when every made attempt with an expected tag left exactly that tag in a
// record seen outside, and every declared channel has such an attempt,
// except a channel found not to apply outside the sandbox (its tagged
// attempts are then not expected either: nothing listens for them). A channel
// that sends nothing (a netlink dump) escapes through a lab fact instead
// (lab_facts.hpp names the channel a fact proves). A probe that declares no
// expected tag is judged by its verdict alone.
#pragma once

#include "../protocol/lines.hpp"
#include "applicability.hpp"
#include "lab_facts.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace bottle::escape {

/// What the control run misses for this probe ("" entries never); empty
/// when every path escaped or the probe declares no expected tags.
/// `lab_truth` is ground_truth::facts (the lab's own values, lab_facts.hpp).
[[nodiscard]] inline std::vector<std::string> control_gaps(const protocol::probe_listing& meta, const protocol::probe_line& report,
                                                           const std::vector<protocol::lab_event>& events,
                                                           const host_facts& facts,
                                                           const std::map<std::string, std::string, std::less<>>& lab_truth = {}) {
    std::vector<std::string> gaps;
    if (report.expects.empty() || report.expects.size() != report.attempts.size()) return gaps;
    auto seen_outside = [&](const std::string& tag) {
        return std::any_of(events.begin(), events.end(), [&](const protocol::lab_event& e) {
            return e.data.find(tag) != std::string::npos || e.local.find(tag) != std::string::npos;
        });
    };
    std::set<std::string> escaped_channels, not_applicable;
    for (const auto& a : report.attempts)
        if (!a.na.empty() && confirm_applicability(a.na, facts)) not_applicable.insert(a.channel);
    auto ruled_out = [&](const std::string& channel) {
        return not_applicable.count(channel) != 0 || channel_ruled_out(meta.id, channel, facts).has_value();
    };
    for (const auto& rule : lab_fact_rules) {
        if (rule.probe != meta.id) continue;
        const auto want = lab_truth.find(rule.truth_key);
        if (want == lab_truth.end() || want->second.empty()) continue;
        for (const auto& [name, value] : report.facts)
            if (name == rule.fact && value == want->second) escaped_channels.insert(std::string(rule.channel));
    }
    for (std::size_t i = 0; i < report.attempts.size(); ++i) {
        const auto& a = report.attempts[i];
        const std::string& tag = report.expects[i];
        if (tag.empty() || ruled_out(a.channel)) continue;
        if (!a.made) gaps.push_back("'" + a.action + "' was not made (" + a.outcome + ")");
        else if (seen_outside(tag)) escaped_channels.insert(a.channel);
        else gaps.push_back("'" + a.action + "' left no " + tag + " outside");
    }
    std::vector<std::string> channels = meta.channels;
    if (channels.empty()) channels.push_back("");
    for (const auto& c : channels)
        if (!escaped_channels.count(c) && !ruled_out(c))
            gaps.push_back("channel '" + c + "': no expected tag seen outside");
    return gaps;
}

}  // namespace bottle::escape
