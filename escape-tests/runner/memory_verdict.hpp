// escape-tests/runner/memory_verdict.hpp — res.memory from the limits seen
// outside (lab/memory_limits.hpp).
//
// The lab host logs one "host.limits" event per distinct confinement of the
// run's bottle-probe processes (and of the profile's "memory_process" ones,
// the host processes that hold a sandbox whose probe is no host process) ("effective=N|unlimited complete=yes|no; ...").
// Against the host's memory (lab-host fact mem_total):
//   unconfined  some probe process has no effective limit below the host's
//               memory, and every limit of it could be read: the sandbox can
//               take the host's memory (ESCAPED, evidence kind "effect");
//   confined    every sampled process is held below the host's memory by a
//               limit the lab host read (then BLOCKED when the probe made its
//               attempt, as any probe); the detail lists each of them;
//   unknown     no process was sampled, the host's memory is unknown, or an
//               unconfined-looking process had limits that could not be read
//               (ERROR: a limit the lab host could not read might confine it).
#pragma once

#include "../lab/memory_limits.hpp"
#include "../protocol/lines.hpp"
#include "applicability.hpp"

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::escape {

inline constexpr std::string_view memory_probe = "res.memory";
using lab::limits_sink;

struct memory_judgement {
    enum class kind { unconfined, confined, unknown };
    kind what = kind::unknown;
    std::string detail;
};

[[nodiscard]] inline memory_judgement judge_memory(const std::vector<protocol::lab_event>& events, const host_facts& facts) {
    using k = memory_judgement::kind;
    auto number = [](std::string_view s) -> std::optional<unsigned long long> {
        unsigned long long v = 0;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
        return v;
    };
    std::optional<unsigned long long> total;
    if (const auto it = facts.find("mem_total"); it != facts.end()) total = number(it->second);
    std::vector<std::string> confined;
    std::optional<std::string> unconfined, unknown;
    bool sampled = false;
    for (const auto& e : events) {
        if (e.sink != limits_sink) continue;
        const std::string_view d = e.data;
        const auto semi = d.find("; ");
        const std::string_view head = d.substr(0, semi), text = semi == std::string_view::npos ? "" : d.substr(semi + 2);
        if (head.rfind("effective=", 0) != 0) continue;
        const auto space = head.find(' ');
        const std::string_view eff = head.substr(10, space == std::string_view::npos ? std::string_view::npos : space - 10);
        const bool complete = head.find(" complete=yes") != std::string_view::npos;
        sampled = true;
        const auto limit = eff == "unlimited" ? std::nullopt : number(eff);
        if (eff != "unlimited" && !limit) {
            unknown = "an unreadable limits record: " + std::string(d);
            continue;
        }
        if (!total) continue;
        if (limit && *limit < *total) confined.push_back(std::string(text));
        else if (complete) unconfined = std::string(text);
        else unknown = "limits the lab host could not all read: " + std::string(text);
    }
    if (!sampled) return {k::unknown, "the lab host saw no bottle-probe process of this run (nor a process the profile's memory_process names) to read its memory limits"};
    if (!total) return {k::unknown, "the lab host's memory size (mem_total) is unknown"};
    const std::string of_host = " (the host has " + std::to_string(*total >> 20) + " MiB)";
    if (unconfined) return {k::unconfined, "no limit below the host's memory confines the sandbox" + of_host + ": " + *unconfined};
    if (unknown) return {k::unknown, *unknown};
    // Every process sampled, so the report says what was read (under gVisor:
    // the agent's container and the egress sidecar's, each a runsc sandbox).
    std::string all;
    for (const auto& c : confined) all += (all.empty() ? "" : " | ") + c;
    return {k::confined, "memory confined below the host's" + of_host + ": " + all};
}

}  // namespace bottle::escape
