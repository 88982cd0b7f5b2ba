#include "runner/score.hpp"

#include <gtest/gtest.h>

namespace {

using namespace bottle::escape;

const std::string nonce = "0123456789ab";

std::string tag(const std::string& id) { return "bbx-" + nonce + "-" + slug_of(id); }

probe_meta meta(std::string id, unsigned bits, std::vector<std::string> channels = {}) {
    return {std::move(id), "", bits, std::move(channels)};
}

probe_attempt made(std::string channel = "", bool reached = false) {
    return {std::move(channel), "connect", reached ? "connected" : "EPERM", true, reached, ""};
}

probe_attempt not_made(std::string channel, std::string why) { return {std::move(channel), "try", std::move(why), false, false, ""}; }

probe_attempt na_on(std::string channel, std::string_view key) {
    return {std::move(channel), "find a proxy", "none", false, false, std::string(key)};
}

// A probe that ran and made its (one, unnamed) attack.
probe_report ran(const std::string& id) {
    probe_report r;
    r.id = id;
    r.tag = tag(id);
    r.status = probe_status::ran;
    r.attempts = {made()};
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
    const auto vs = score({meta("net.tcp4_direct", 1)}, {report},
                          truth_with({{"world.tcp", "tcp", "203.0.113.10:80", "10.200.0.2:1", "GET /" + tag("net.tcp4_direct")}}));
    ASSERT_EQ(vs.size(), 1u);
    EXPECT_EQ(vs[0].result, verdict::escaped);
    EXPECT_EQ(vs[0].evidence.front().kind, "sink");
}

TEST(Score, RanWithNothingObservedIsBlocked) {
    const auto vs = score({meta("net.tcp4_direct", 1)}, {ran("net.tcp4_direct")}, truth_with());
    EXPECT_EQ(vs[0].result, verdict::blocked);
    EXPECT_TRUE(vs[0].evidence.empty());
}

TEST(Score, MissingReportIsErrorNeverBlocked) {
    const auto vs = score({meta("net.tcp4_direct", 1), meta("fs.home_secrets", 2)}, {ran("net.tcp4_direct")}, truth_with());
    EXPECT_EQ(find(vs, "fs.home_secrets").result, verdict::error);
    EXPECT_NE(find(vs, "fs.home_secrets").reason.find("no report"), std::string::npos);
}

TEST(Score, NaIsBelievedOnlyWhenALabHostFactConfirmsIt) {
    auto na = ran("priv.kernel_module");
    na.status = probe_status::na;
    na.applicability = "no_module_support";
    na.reason = "no module support";
    auto err = ran("kern.abi_bypass");
    err.status = probe_status::error;
    err.reason = "crashed";
    auto truth = truth_with();
    const std::vector<probe_meta> metas{meta("priv.kernel_module", 8), meta("kern.abi_bypass", 8)};
    // No fact from the lab host: the sandbox's word alone is not enough.
    EXPECT_EQ(find(score(metas, {na, err}, truth), "priv.kernel_module").result, verdict::error);
    truth.lab_host["modules"] = "yes";
    const auto contradicted = find(score(metas, {na, err}, truth), "priv.kernel_module");
    EXPECT_EQ(contradicted.result, verdict::error) << "the host loads modules: the sandbox hid /proc/modules";
    EXPECT_NE(contradicted.reason.find("not confirmed outside"), std::string::npos) << contradicted.reason;
    truth.lab_host["modules"] = "no";
    const auto vs = score(metas, {na, err}, truth);
    EXPECT_EQ(find(vs, "priv.kernel_module").result, verdict::not_applicable);
    EXPECT_NE(find(vs, "priv.kernel_module").reason.find("no module support"), std::string::npos);
    EXPECT_EQ(find(vs, "kern.abi_bypass").result, verdict::error);
    EXPECT_EQ(find(vs, "kern.abi_bypass").reason, "crashed");
    auto unknown = na;
    unknown.applicability = "seems_fine";
    EXPECT_EQ(score({metas[0]}, {unknown}, truth)[0].result, verdict::error) << "an unknown key is never believed";
}

TEST(Score, BlockedNeedsAMadeAttemptOnEveryDeclaredChannel) {
    const auto m = meta("net.udp_direct", 1, {"udp4", "udp6"});
    auto r = ran("net.udp_direct");
    r.attempts = {made("udp4"), not_made("udp6", "not a lab address: skipped")};
    const auto half = score({m}, {r}, truth_with())[0];
    EXPECT_EQ(half.result, verdict::error);
    EXPECT_NE(half.reason.find("channel 'udp6' was not attempted"), std::string::npos) << half.reason;
    EXPECT_NE(half.reason.find("not a lab address"), std::string::npos) << "the reason says why: " << half.reason;
    r.attempts.push_back(made("udp6"));
    EXPECT_EQ(score({m}, {r}, truth_with())[0].result, verdict::blocked);
}

TEST(Score, RanWithoutAMadeAttemptIsErrorNeverBlocked) {
    auto r = ran("net.tcp4_direct");
    r.attempts.clear();
    EXPECT_EQ(score({meta("net.tcp4_direct", 1)}, {r}, truth_with())[0].result, verdict::error);
    r.attempts = {not_made("", "skipped: probe budget spent")};
    const auto v = score({meta("net.tcp4_direct", 1)}, {r}, truth_with())[0];
    EXPECT_EQ(v.result, verdict::error);
    EXPECT_NE(v.reason.find("budget"), std::string::npos);
    // Reached but not made (a forged line) is neither made nor evidence.
    r.attempts = {{"", "capget", "all", false, true, ""}};
    const auto forged = score({meta("net.tcp4_direct", scoring_self)}, {r}, truth_with())[0];
    EXPECT_EQ(forged.result, verdict::error);
    EXPECT_TRUE(forged.evidence.empty());
}

TEST(Score, AChannelThatDoesNotApplyNeedsAConfirmedKey) {
    const auto m = meta("net.metadata_v4", 1, {"direct", "proxy"});
    auto r = ran("net.metadata_v4");
    r.attempts = {made("direct"), na_on("proxy", protocol::applicability::no_proxy)};
    const auto v = score({m}, {r}, truth_with())[0];
    EXPECT_EQ(v.result, verdict::blocked);
    EXPECT_NE(v.reason.find("channel 'proxy' does not apply"), std::string::npos) << v.reason;
    r.attempts = {na_on("direct", protocol::applicability::no_proxy), na_on("proxy", protocol::applicability::no_proxy)};
    EXPECT_EQ(score({m}, {r}, truth_with())[0].result, verdict::not_applicable) << "nothing made, everything n/a";
    r.attempts = {made("direct"), na_on("proxy", protocol::applicability::no_ia32)};
    EXPECT_EQ(score({m}, {r}, truth_with())[0].result, verdict::error) << "no fact says there is no IA32 entry";
}

TEST(Score, AnAttemptOnAnUndeclaredChannelIsAProbeBug) {
    auto r = ran("net.udp_direct");
    r.attempts = {made("udp4"), made("udp6"), made("sctp")};
    const auto v = score({meta("net.udp_direct", 1, {"udp4", "udp6"})}, {r}, truth_with())[0];
    EXPECT_EQ(v.result, verdict::error);
    EXPECT_NE(v.reason.find("probe bug"), std::string::npos);
}

TEST(Score, TokensAndFactsCountOnlyInObservedData) {
    auto in_observed = ran("fs.home_secrets");
    in_observed.observed = {"key: bbxtokSECRET1"};
    auto in_attempt = ran("fs.env_secrets");
    in_attempt.attempts = {{"", "read bbxtokSECRET1", "ok", true, false, ""}};
    auto fact = ran("net.exotic_af");
    fact.observed = {"10.200.0.0/24 dev bbxl src 10.200.0.2"};
    const auto vs = score({meta("fs.home_secrets", 2), meta("fs.env_secrets", 2), meta("net.exotic_af", 1)},
                          {in_observed, in_attempt, fact}, truth_with());
    EXPECT_EQ(find(vs, "fs.home_secrets").result, verdict::escaped);
    EXPECT_EQ(find(vs, "fs.home_secrets").evidence.front().kind, "token");
    EXPECT_EQ(find(vs, "fs.env_secrets").result, verdict::blocked);
    EXPECT_EQ(find(vs, "net.exotic_af").result, verdict::escaped);
}

TEST(Score, SelfEvidenceOnlyForProbesRegisteredWithSelfScoring) {
    auto self = ran("priv.capabilities");
    self.attempts = {{"", "capget", "CAP_SYS_ADMIN", true, true, ""}};
    auto not_self = ran("net.tcp4_direct");
    not_self.attempts = {made("", true)};  // a claim without a sink record
    const auto vs = score({meta("priv.capabilities", scoring_self), meta("net.tcp4_direct", 1)}, {self, not_self}, truth_with());
    EXPECT_EQ(find(vs, "priv.capabilities").result, verdict::exposed) << "in-sandbox evidence is EXPOSED, not ESCAPED";
    EXPECT_EQ(find(vs, "priv.capabilities").evidence.front().kind, "self");
    EXPECT_EQ(find(vs, "net.tcp4_direct").result, verdict::blocked) << "the probe never decides alone";
}

TEST(Score, OutsideEvidenceMakesASelfScoredProbeEscapedAndTheCountsStayApart) {
    auto self = ran("ipc.inherited_fd");
    self.attempts = {{"", "walk up fd 3", "top is not this sandbox's root", true, true, ""}};
    auto both = ran("fs.keyring");
    both.attempts = self.attempts;
    both.observed = {"key: bbxtokSECRET1"};
    const auto vs = score({meta("ipc.inherited_fd", scoring_self), meta("fs.keyring", scoring_self | 2)}, {self, both}, truth_with());
    EXPECT_EQ(find(vs, "ipc.inherited_fd").result, verdict::exposed);
    EXPECT_EQ(find(vs, "fs.keyring").result, verdict::escaped) << "a token seen outside the report is outside evidence";
    const auto t = count(vs);
    EXPECT_EQ(t.escaped, 1);
    EXPECT_EQ(t.exposed, 1);
}

TEST(Score, MarkersOrphansAndUntaggedCanarySignalsAreEffects) {
    const auto vs = score({meta("fs.write_outside", 4), meta("res.orphans", 4), meta("ipc.ptrace_host", 4)},
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
    const auto vs = score({meta("net.icmp", 1)}, {ran("net.icmp")},
                          truth_with({{"world.wire", "frame", "bbxw1", "", t}, {"world.tcp", "tcp", "203.0.113.10:80", "p", t}}));
    ASSERT_EQ(vs[0].evidence.size(), 2u);
    EXPECT_EQ(vs[0].evidence.front().detail.rfind("world.tcp", 0), 0u);
}

TEST(Score, PositiveControlIsLeftOutOfTheCounts) {
    const auto vs = score({meta(std::string(positive_control), 1), meta("net.tcp4_direct", 1)},
                          {ran(std::string(positive_control)), ran("net.tcp4_direct")},
                          truth_with({{"world.tcp", "tcp", "203.0.113.80:80", "p", tag(std::string(positive_control))}}));
    EXPECT_TRUE(find(vs, std::string(positive_control)).is_control());
    const auto t = count(vs);
    EXPECT_EQ(t.escaped, 0);
    EXPECT_EQ(t.blocked, 1);
}

}  // namespace
