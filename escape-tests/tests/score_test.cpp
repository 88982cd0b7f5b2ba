#include "runner/score.hpp"

#include <gtest/gtest.h>

namespace {

using namespace bottle::escape;

const std::string nonce = "0123456789ab";

std::string tag(const std::string& id) { return "bbx-" + nonce + "-" + slug_of(id); }

probe_report ran(const std::string& id) {
    probe_report r;
    r.id = id;
    r.tag = tag(id);
    r.status = probe_status::ran;
    return r;
}

ground_truth truth_with(std::vector<lab_event> events = {}) {
    ground_truth t;
    t.nonce = nonce;
    t.tokens["ssh_key"] = "bbxtokSECRET1";
    t.facts["lab link address"] = "10.200.0.2";
    t.events = std::move(events);
    return t;
}

const probe_verdict& find(const std::vector<probe_verdict>& vs, const std::string& id) {
    for (const auto& v : vs)
        if (v.id == id) return v;
    throw std::runtime_error("no verdict for " + id);
}

TEST(Tags, LongestKnownSlugWinsAndSuffixesAreAllowed) {
    const std::vector<std::string> slugs{"net-icmp-raw", "net-icmp"};  // longest first
    EXPECT_EQ(tags_in("x bbx-" + nonce + "-net-icmp-raw/y", nonce, slugs), (std::set<std::string>{"net-icmp-raw"}));
    EXPECT_EQ(tags_in("bbx-" + nonce + "-net-icmp.exfil.lab.test", nonce, slugs), (std::set<std::string>{"net-icmp"}));
    EXPECT_EQ(tags_in(".bbx-marker-bbx-" + nonce + "-net-icmp-3", nonce, slugs), (std::set<std::string>{"net-icmp"}));
    EXPECT_TRUE(tags_in("bbx-ffffffffffff-net-icmp", nonce, slugs).empty()) << "another run's nonce must not count";
    EXPECT_TRUE(tags_in("bbx-" + nonce + "-dns-x", nonce, slugs).empty());
}

TEST(Score, SinkRecordWithTheTagIsAnEscapeEvenIfTheProbeErrored) {
    auto report = ran("net.tcp4_direct");
    report.status = probe_status::error;
    report.reason = "something odd";
    const auto vs = score({{"net.tcp4_direct", "", 1}}, {report},
                          truth_with({{"world.tcp", "tcp", "203.0.113.10:80", "10.200.0.2:1", "GET /" + tag("net.tcp4_direct")}}));
    ASSERT_EQ(vs.size(), 1u);
    EXPECT_EQ(vs[0].result, verdict::escaped);
    EXPECT_EQ(vs[0].evidence.front().kind, "sink");
}

TEST(Score, RanWithNothingObservedIsBlocked) {
    const auto vs = score({{"net.tcp4_direct", "", 1}}, {ran("net.tcp4_direct")}, truth_with());
    EXPECT_EQ(vs[0].result, verdict::blocked);
    EXPECT_TRUE(vs[0].evidence.empty());
}

TEST(Score, MissingReportIsErrorNeverBlocked) {
    const auto vs = score({{"net.tcp4_direct", "", 1}, {"fs.home_secrets", "", 2}}, {ran("net.tcp4_direct")}, truth_with());
    EXPECT_EQ(find(vs, "fs.home_secrets").result, verdict::error);
    EXPECT_NE(find(vs, "fs.home_secrets").reason.find("no report"), std::string::npos);
}

TEST(Score, NaAndErrorKeepTheProbesReason) {
    auto na = ran("priv.kernel_module");
    na.status = probe_status::na;
    na.reason = "no module support";
    auto err = ran("kern.abi_bypass");
    err.status = probe_status::error;
    err.reason = "crashed";
    const auto vs = score({{"priv.kernel_module", "", 8}, {"kern.abi_bypass", "", 8}}, {na, err}, truth_with());
    EXPECT_EQ(find(vs, "priv.kernel_module").result, verdict::not_applicable);
    EXPECT_EQ(find(vs, "priv.kernel_module").reason, "no module support");
    EXPECT_EQ(find(vs, "kern.abi_bypass").result, verdict::error);
}

TEST(Score, TokensAndFactsCountOnlyInObservedData) {
    auto in_observed = ran("fs.home_secrets");
    in_observed.observed = {"key: bbxtokSECRET1"};
    auto in_attempt = ran("fs.env_secrets");
    in_attempt.attempts = {{"read bbxtokSECRET1", "ok", false}};
    auto fact = ran("net.exotic_af");
    fact.observed = {"10.200.0.0/24 dev bbxl src 10.200.0.2"};
    const auto vs = score({{"fs.home_secrets", "", 2}, {"fs.env_secrets", "", 2}, {"net.exotic_af", "", 1}},
                          {in_observed, in_attempt, fact}, truth_with());
    EXPECT_EQ(find(vs, "fs.home_secrets").result, verdict::escaped);
    EXPECT_EQ(find(vs, "fs.home_secrets").evidence.front().kind, "token");
    EXPECT_EQ(find(vs, "fs.env_secrets").result, verdict::blocked);
    EXPECT_EQ(find(vs, "net.exotic_af").result, verdict::escaped);
}

TEST(Score, SelfEvidenceOnlyForProbesRegisteredWithSelfScoring) {
    auto self = ran("priv.capabilities");
    self.attempts = {{"capget", "CAP_SYS_ADMIN", true}};
    auto not_self = ran("net.tcp4_direct");
    not_self.attempts = {{"tcp connect", "connected", true}};  // a claim without a sink record
    const auto vs = score({{"priv.capabilities", "", scoring_self}, {"net.tcp4_direct", "", 1}}, {self, not_self}, truth_with());
    EXPECT_EQ(find(vs, "priv.capabilities").result, verdict::escaped);
    EXPECT_EQ(find(vs, "priv.capabilities").evidence.front().kind, "self");
    EXPECT_EQ(find(vs, "net.tcp4_direct").result, verdict::blocked) << "the probe never decides alone";
}

TEST(Score, MarkersOrphansAndUntaggedCanarySignalsAreEffects) {
    const auto vs = score({{"fs.write_outside", "", 4}, {"res.orphans", "", 4}, {"ipc.ptrace_host", "", 4}},
                          {ran("fs.write_outside"), ran("res.orphans"), ran("ipc.ptrace_host")},
                          truth_with({{"marker", "file", "home/.x", "", ".bbx-marker-" + tag("fs.write_outside")},
                                      {"host.orphan", "process", "pid 5", "", "bottle-probe linger " + tag("res.orphans") + " 20"},
                                      {"host.canary_process", "signal", "bbx-canary", "pid 9", "User defined signal 1"}}));
    for (const auto& v : vs) {
        EXPECT_EQ(v.result, verdict::escaped) << v.id;
        EXPECT_EQ(v.evidence.front().kind, "effect") << v.id;
    }
}

TEST(Score, WireFramesRankAfterApplicationRecords) {
    const std::string t = tag("net.icmp");
    const auto vs = score({{"net.icmp", "", 1}}, {ran("net.icmp")},
                          truth_with({{"world.wire", "frame", "bbxw1", "", t}, {"world.tcp", "tcp", "203.0.113.10:80", "p", t}}));
    ASSERT_EQ(vs[0].evidence.size(), 2u);
    EXPECT_EQ(vs[0].evidence.front().detail.rfind("world.tcp", 0), 0u);
}

TEST(Score, PositiveControlIsLeftOutOfTheCounts) {
    const auto vs = score({{std::string(positive_control), "", 1}, {"net.tcp4_direct", "", 1}},
                          {ran(std::string(positive_control)), ran("net.tcp4_direct")},
                          truth_with({{"world.tcp", "tcp", "203.0.113.80:80", "p", tag(std::string(positive_control))}}));
    EXPECT_TRUE(find(vs, std::string(positive_control)).is_control());
    const auto t = count(vs);
    EXPECT_EQ(t.escaped, 0);
    EXPECT_EQ(t.blocked, 1);
}

}  // namespace
