// Properties of the escape harness's scoring (escape-tests/runner/score.hpp):
// evidence decides, the probe never does; more evidence never un-escapes a
// probe; another run's tags never count; no report is never BLOCKED; BLOCKED
// only with a made attempt on every declared channel.
#include "runner/score.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace {

using namespace bottle::escape;

const std::vector<std::string> ids{"net.tcp4_direct", "net.icmp", "dns.odd_records", "fs.home_secrets",
                                   "priv.capabilities", "res.orphans", "ipc.ptrace_host", std::string(positive_control)};
const std::string nonce = "0123456789ab";

rc::Gen<probe_meta> gen_meta(const std::string& id) {
    return rc::gen::map(rc::gen::inRange(0u, 16u), [id](unsigned bits) { return probe_meta{id, "", bits, {}}; });
}

rc::Gen<probe_report> gen_report(const std::string& id) {
    return rc::gen::apply(
        [id](int status, std::vector<bool> reached, bool leak) {
            probe_report r;
            r.id = id;
            r.status = status == 0 ? probe_status::ran : status == 1 ? probe_status::na : probe_status::error;
            for (bool b : reached) r.attempts.push_back({"", "a", "o", true, b, ""});
            if (leak) r.observed.push_back("found bbxtokSECRET");
            return r;
        },
        rc::gen::inRange(0, 3), rc::gen::container<std::vector<bool>>(rc::gen::arbitrary<bool>()),
        rc::gen::arbitrary<bool>());
}

// Events of a run. Another run can only leave tagged records (its own canary
// process, whose signals carry no tag, belongs to that run's lab alone), so
// foreign events are drawn from the tagged kinds only.
rc::Gen<lab_event> gen_event(const std::string& run_nonce, bool tagged_only = false) {
    return rc::gen::apply(
        [run_nonce](std::size_t which, int kind, std::string noise) {
            const std::string slug = slug_of(ids[which % ids.size()]);
            const char* sinks[] = {"world.tcp", "world.wire", "marker", "host.orphan", "host.canary_process"};
            return lab_event{sinks[kind], "tcp", "203.0.113.10:80", "p", noise + "bbx-" + run_nonce + "-" + slug + "/x"};
        },
        rc::gen::inRange<std::size_t>(0, 100), rc::gen::inRange(0, tagged_only ? 4 : 5), rc::gen::string<std::string>());
}

struct scenario {
    std::vector<probe_meta> metas;
    std::vector<probe_report> reports;
    std::vector<lab_event> events;
};

scenario gen_scenario() {
    scenario s;
    for (const auto& id : ids) {
        s.metas.push_back(*gen_meta(id));
        if (*rc::gen::arbitrary<bool>()) s.reports.push_back(*gen_report(id));
    }
    s.events = *rc::gen::container<std::vector<lab_event>>(gen_event(nonce));
    return s;
}

ground_truth truth(std::vector<lab_event> events) {
    ground_truth t;
    t.nonce = nonce;
    t.tokens["ssh_key"] = "bbxtokSECRET";
    t.events = std::move(events);
    return t;
}

RC_GTEST_PROP(EscapeScore, EscapedIffOutsideEvidenceExposedIffOnlyInSandboxEvidence, ()) {
    const auto s = gen_scenario();
    for (const auto& v : score(s.metas, s.reports, truth(s.events))) {
        const bool outside = std::any_of(v.evidence.begin(), v.evidence.end(), [](const auto& e) { return e.kind != "self"; });
        RC_ASSERT((v.result == verdict::escaped) == outside);
        RC_ASSERT((v.result == verdict::exposed) == (!outside && !v.evidence.empty()));
        if (v.result == verdict::blocked) RC_ASSERT(v.report && v.report->status == probe_status::ran);
        if (!v.report) RC_ASSERT(v.result == verdict::escaped || v.result == verdict::error);
        if (v.result == verdict::exposed) RC_ASSERT(v.report.has_value());
        for (const auto& e : v.evidence)
            if (e.kind == "self") {
                const auto& m = *std::find_if(s.metas.begin(), s.metas.end(), [&](const auto& x) { return x.id == v.id; });
                RC_ASSERT((m.scoring & scoring_self) != 0u);
            }
    }
}

RC_GTEST_PROP(EscapeScore, MoreEvidenceNeverUnescapes, ()) {
    const auto s = gen_scenario();
    const auto extra = *rc::gen::container<std::vector<lab_event>>(gen_event(nonce));
    auto more = s.events;
    more.insert(more.end(), extra.begin(), extra.end());
    const auto before = score(s.metas, s.reports, truth(s.events));
    const auto after = score(s.metas, s.reports, truth(more));
    RC_ASSERT(before.size() == after.size());
    for (std::size_t i = 0; i < before.size(); ++i) {
        if (before[i].result == verdict::escaped) RC_ASSERT(after[i].result == verdict::escaped);
        if (before[i].result == verdict::exposed)
            RC_ASSERT(after[i].result == verdict::exposed || after[i].result == verdict::escaped);
    }
}

RC_GTEST_PROP(EscapeScore, AnotherRunsTagsNeverCount, ()) {
    const auto s = gen_scenario();
    const auto foreign = *rc::gen::container<std::vector<lab_event>>(gen_event("fedcba987654", /*tagged_only=*/true));
    auto mixed = s.events;
    mixed.insert(mixed.end(), foreign.begin(), foreign.end());
    const auto a = score(s.metas, s.reports, truth(s.events));
    const auto b = score(s.metas, s.reports, truth(mixed));
    for (std::size_t i = 0; i < a.size(); ++i) {
        RC_ASSERT(a[i].result == b[i].result);
        RC_ASSERT(a[i].evidence.size() == b[i].evidence.size());
    }
}

RC_GTEST_PROP(EscapeScore, BlockedOnlyWhenEveryDeclaredChannelWasReallyAttempted, ()) {
    const std::vector<std::string> names{"", "udp4", "udp6", "proxy"};
    probe_meta m{"net.udp_direct", "", 1, *rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(names))};
    m.channels.erase(std::remove(m.channels.begin(), m.channels.end(), ""), m.channels.end());
    probe_report r;
    r.id = m.id;
    r.status = probe_status::ran;
    const auto n = *rc::gen::inRange<std::size_t>(0, 6);
    for (std::size_t i = 0; i < n; ++i) {
        const bool made = *rc::gen::arbitrary<bool>();
        const std::string na = made ? "" : *rc::gen::element<std::string>("", "no_proxy", "no_ia32");
        r.attempts.push_back({*rc::gen::elementOf(names), "a", "o", made, false, na});
    }
    const auto v = score({m}, {r}, truth({}))[0];
    if (v.result != verdict::blocked) return;
    const auto declared = m.channels.empty() ? std::vector<std::string>{""} : m.channels;
    bool any_made = false;
    for (const auto& c : declared) {
        const bool made = std::any_of(r.attempts.begin(), r.attempts.end(), [&](const auto& a) { return a.channel == c && a.made; });
        const bool na = std::any_of(r.attempts.begin(), r.attempts.end(), [&](const auto& a) { return a.channel == c && a.na == "no_proxy"; });
        RC_ASSERT(made || na);
        any_made = any_made || made;
    }
    RC_ASSERT(any_made);
    for (const auto& a : r.attempts) RC_ASSERT(std::find(declared.begin(), declared.end(), a.channel) != declared.end());
}

}  // namespace
