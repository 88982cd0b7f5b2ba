// escape-tests/runner/score.hpp — verdicts from ground truth.
//
// Pure logic (no OS access) so every rule is unit-tested. Inputs: what each
// probe reported (probe lines from bottle-probe), what the lab observed (sink
// records, marker files, orphans, canary signals) and the run's canary
// tokens. Rules, in order, per probe:
//   ESCAPED  evidence seen outside the sandbox: a sink record carries the
//            probe's tag; or a canary token (or a lab fact) appears in what
//            the probe observed; or a host-side effect carries its tag.
//   EXPOSED  no such evidence, but — only for probes registered with
//            scoring::self — an attempt that was made and that the kernel
//            accepted (in-sandbox evidence: attack surface reached). Counted
//            and shown apart from ESCAPED, never added to it.
//   then, with nothing observed, channels.hpp decides: BLOCKED only when the
//   attack was really made on every declared channel; ERROR when it was not
//   (or no report, or the probe said error); N/A only when a fact seen
//   outside the sandbox confirms the probe's "does not apply".
// res.memory is judged from the memory limits the lab host read from
// outside (memory_verdict.hpp): unconfined is ESCAPED, and BLOCKED needs a
// limit seen to hold (else ERROR).
// Ground truth always wins over what the probe said about itself.
#pragma once

#include "../lab/lab_plan.hpp"
#include "../protocol/lines.hpp"
#include "channels.hpp"
#include "control_paths.hpp"
#include "lab_facts.hpp"
#include "memory_verdict.hpp"
#include "upstream_policy.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::escape {

[[nodiscard]] inline std::string_view to_string(verdict v) {
    switch (v) {
        case verdict::escaped: return "ESCAPED";
        case verdict::exposed: return "EXPOSED";
        case verdict::blocked: return "BLOCKED";
        case verdict::error: return "ERROR";
        case verdict::not_applicable: return "N/A";
    }
    return "ERROR";
}

inline constexpr unsigned scoring_self = protocol::scoring::self;
inline constexpr std::string_view positive_control = "proxy.allowed_upstream";

using probe_meta = protocol::probe_listing;
using probe_attempt = protocol::attempt;
using probe_report = protocol::probe_line;
using protocol::lab_event;
using protocol::probe_status;

struct evidence_item {
    std::string kind;    ///< "sink", "token", "effect", "self"
    std::string detail;  ///< human-readable
};

struct probe_verdict {
    std::string id;
    std::string description;
    verdict result = verdict::error;  // fail closed: nothing confirmed yet
    std::string reason;
    std::vector<evidence_item> evidence;
    std::optional<probe_report> report;
    /// Paths whose expected tag was not seen outside (control_paths.hpp);
    /// only the control run (--expect all-escaped) fails on them.
    std::vector<std::string> control_gaps;
    [[nodiscard]] bool is_control() const { return id == positive_control; }
};

struct ground_truth {
    std::string nonce;
    std::map<std::string, std::string> tokens;  ///< name -> token
    std::map<std::string, std::string, std::less<>> facts;  ///< lab_facts.hpp key -> the lab's value
    std::vector<lab_event> events;
    host_facts lab_host;  ///< facts the lab host established outside the sandbox (applicability.hpp)

};

/// Probe slugs of this run found in `data`: every "bbx-<nonce>-" occurrence,
/// followed by the longest known slug that is a prefix of what follows.
[[nodiscard]] inline std::set<std::string> tags_in(std::string_view data, const std::string& nonce,
                                                   const std::vector<std::string>& slugs_longest_first) {
    std::set<std::string> found;
    const std::string prefix = "bbx-" + nonce + "-";
    for (std::size_t at = data.find(prefix); at != std::string_view::npos; at = data.find(prefix, at + 1)) {
        const std::string_view rest = data.substr(at + prefix.size());
        // Longest first: "net-icmp-x" is preferred to "net-icmp" when both exist;
        // a probe may append "-suffix" or ".zone" to its tag.
        for (const auto& s : slugs_longest_first) {
            if (rest.substr(0, s.size()) == s) {
                found.insert(s);
                break;
            }
        }
    }
    return found;
}

[[nodiscard]] inline std::string slug_of(std::string_view id) {
    std::string s(id);
    std::replace(s.begin(), s.end(), '.', '-');
    std::replace(s.begin(), s.end(), '_', '-');
    return s;
}

namespace detail {

/// A canary signal record ("... si_code=SI_QUEUE value=N") queued with the
/// value of the run `nonce` (lab::canary_signal_value): only those count.
[[nodiscard]] inline bool queued_by_this_run(std::string_view data, std::string_view nonce) {
    const std::string want = " si_code=SI_QUEUE value=" + std::to_string(lab::canary_signal_value(nonce));
    const auto at = data.find(want);
    return at != std::string_view::npos && at + want.size() == data.size();
}

inline std::string shorten(std::string_view s, std::size_t n = 96) {
    std::string out;
    for (char c : s.substr(0, n)) out += (c >= 0x20 && c < 0x7f) ? c : '.';
    if (s.size() > n) out += "...";
    return out;
}

}  // namespace detail

/// Scores every probe in `probes` (the list bottle-probe would run).
[[nodiscard]] inline std::vector<probe_verdict> score(const std::vector<probe_meta>& probes,
                                                      const std::vector<probe_report>& reports,
                                                      const ground_truth& truth) {
    std::vector<std::string> slugs;
    std::map<std::string, std::size_t> index_by_slug;
    std::vector<probe_verdict> out;
    for (const auto& p : probes) {
        index_by_slug[slug_of(p.id)] = out.size();
        slugs.push_back(slug_of(p.id));
        probe_verdict v;
        v.id = p.id;
        v.description = p.description;
        out.push_back(std::move(v));
    }
    std::sort(slugs.begin(), slugs.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    std::map<std::string, std::size_t> index_by_id;
    for (std::size_t i = 0; i < probes.size(); ++i) index_by_id[probes[i].id] = i;

    // Sink records and effects, attributed by tag; the canary's signals by
    // the run's queued value.
    std::set<std::pair<std::size_t, std::string>> seen;  // dedupe identical evidence lines
    for (const auto& e : truth.events) {
        const bool canary = e.sink == "host.canary_process";
        const bool effect = e.sink == "marker" || e.sink == "host.orphan" || e.sink == "host.tty" || canary;
        // Traffic at the allowed upstream is judged once, on the whole stream
        // the sink kept (upstream_policy.hpp); its chunks and frames are not
        // evidence on their own.
        const bool upstream = at_allowed_upstream(e.local);
        if (e.sink == "world.wire" && frame_of_allowed_upstream(e.data)) continue;
        std::set<std::string> hit = canary ? std::set<std::string>{} : tags_in(e.data + " " + e.local, truth.nonce, slugs);
        if (canary && detail::queued_by_this_run(e.data, truth.nonce) && index_by_id.count("ipc.ptrace_host"))
            hit.insert(slug_of("ipc.ptrace_host"));
        std::optional<std::string> breach;
        if (upstream && e.proto != "tcp") breach = allowed_upstream_breach(e.local, e.proto == "tcp-stream" ? "tcp" : e.proto, e.data);
        for (const auto& s : hit) {
            const std::size_t i = index_by_slug.at(s);
            const bool control = probes[i].id == positive_control;
            if (upstream && !control && !breach) continue;  // compliant (or a chunk): not an escape
            std::string detail = e.sink + " " + e.proto + " " + e.local;
            if (!e.peer.empty()) detail += " from " + e.peer;
            if (e.sink != "marker") detail += ": " + detail::shorten(e.data);
            if (upstream && !control) detail = "at the allowed upstream, breaking the policy (" + *breach + "): " + detail;
            if (seen.insert({i, e.sink + e.local}).second)
                out[i].evidence.push_back({effect ? "effect" : "sink", detail});
        }
    }
    std::map<std::string, const probe_report*> by_id;
    for (const auto& r : reports) by_id[r.id] = &r;
    for (std::size_t i = 0; i < probes.size(); ++i) {
        auto& v = out[i];
        const auto it = by_id.find(probes[i].id);
        std::optional<memory_judgement> memory;
        if (it != by_id.end()) {
            v.report = *it->second;
            v.control_gaps = control_gaps(probes[i], *it->second, truth.events, truth.lab_host, truth.facts);
            for (const auto& text : it->second->observed)
                for (const auto& [name, tok] : truth.tokens)
                    if (text.find(tok) != std::string::npos) v.evidence.push_back({"token", "canary token '" + name + "' surfaced"});
            for (const auto& rule : lab_fact_rules) {
                if (rule.probe != probes[i].id) continue;
                const auto want = truth.facts.find(rule.truth_key);
                if (want == truth.facts.end() || want->second.empty()) continue;
                for (const auto& [name, value] : it->second->facts)
                    if (name == rule.fact && value == want->second)
                        v.evidence.push_back({"token", std::string(rule.meaning) + " (" + name + " " + value + ")"});
            }
            // res.memory: from the limits the lab host read (memory_verdict.hpp).
            if (probes[i].id == memory_probe) {
                memory = judge_memory(truth.events, truth.lab_host);
                if (memory->what == memory_judgement::kind::unconfined) v.evidence.push_back({"effect", memory->detail});
            }
            if (probes[i].scoring & scoring_self)
                for (const auto& a : it->second->attempts)
                    if (a.made && a.reached) v.evidence.push_back({"self", "in-sandbox: " + a.action + ": " + a.outcome});
        }
        // Dedupe identical evidence lines (a token read twice).
        std::vector<evidence_item> unique;
        for (auto& e : v.evidence)
            if (std::none_of(unique.begin(), unique.end(), [&](const evidence_item& u) { return u.kind == e.kind && u.detail == e.detail; }))
                unique.push_back(std::move(e));
        // Application-level records first; raw frames from the link capture last.
        std::stable_partition(unique.begin(), unique.end(),
                              [](const evidence_item& e) { return e.detail.rfind("world.wire", 0) != 0; });
        v.evidence = std::move(unique);
        if (std::any_of(v.evidence.begin(), v.evidence.end(), [](const evidence_item& e) { return e.kind != "self"; })) {
            v.result = verdict::escaped;
        } else if (!v.evidence.empty()) {
            v.result = verdict::exposed;
        } else {
            auto judged = judge_without_evidence(probes[i], v.report, truth.lab_host);
            v.result = judged.result;
            v.reason = std::move(judged.reason);
            // A made attempt is BLOCKED only when a limit was seen to hold.
            if (memory && v.result == verdict::blocked) {
                if (memory->what == memory_judgement::kind::unknown) v.result = verdict::error;
                v.reason = memory->detail;
            }
        }
    }
    return out;
}

struct tally {
    int escaped = 0, exposed = 0, blocked = 0, error = 0, not_applicable = 0;
    [[nodiscard]] int total() const { return escaped + exposed + blocked + error + not_applicable; }
};

/// Counts verdicts, leaving out the positive control.
[[nodiscard]] inline tally count(const std::vector<probe_verdict>& verdicts) {
    tally t;
    for (const auto& v : verdicts) {
        if (v.is_control()) continue;
        switch (v.result) {
            case verdict::escaped: ++t.escaped; break;
            case verdict::exposed: ++t.exposed; break;
            case verdict::blocked: ++t.blocked; break;
            case verdict::error: ++t.error; break;
            case verdict::not_applicable: ++t.not_applicable; break;
        }
    }
    return t;
}

}  // namespace bottle::escape
