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
    t.facts["lab_link_v4"] = "10.200.0.2";
    t.facts["canary_pid"] = "4242";
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
    auto na = ran("test.module_loader");
    na.status = probe_status::na;
    na.applicability = "no_module_support";
    na.reason = "no module support";
    auto err = ran("kern.abi_bypass");
    err.status = probe_status::error;
    err.reason = "crashed";
    auto truth = truth_with();
    const std::vector<probe_meta> metas{meta("test.module_loader", 8), meta("kern.abi_bypass", 8)};
    // No fact from the lab host: the sandbox's word alone is not enough.
    EXPECT_EQ(find(score(metas, {na, err}, truth), "test.module_loader").result, verdict::error);
    truth.lab_host["modules"] = "yes";
    const auto contradicted = find(score(metas, {na, err}, truth), "test.module_loader");
    EXPECT_EQ(contradicted.result, verdict::error) << "the host loads modules: the sandbox hid /proc/modules";
    EXPECT_NE(contradicted.reason.find("not confirmed outside"), std::string::npos) << contradicted.reason;
    truth.lab_host["modules"] = "no";
    const auto vs = score(metas, {na, err}, truth);
    EXPECT_EQ(find(vs, "test.module_loader").result, verdict::not_applicable);
    EXPECT_NE(find(vs, "test.module_loader").reason.find("no module support"), std::string::npos);
    EXPECT_EQ(find(vs, "kern.abi_bypass").result, verdict::error);
    EXPECT_EQ(find(vs, "kern.abi_bypass").reason, "crashed");
    auto unknown = na;
    unknown.applicability = "seems_fine";
    EXPECT_EQ(score({metas[0]}, {unknown}, truth)[0].result, verdict::error) << "an unknown key is never believed";
}

TEST(Score, WhatTheMachineForbidsEvenUnconfinedIsNaNeverBlocked) {
    auto truth = truth_with();
    const auto blocked = score({meta("fs.block_devices", 8)}, {ran("fs.block_devices")}, truth)[0];
    EXPECT_EQ(blocked.result, verdict::blocked) << "no fact: judged as usual";
    truth.lab_host["block_read"] = "no";
    const auto na = score({meta("fs.block_devices", 8)}, {ran("fs.block_devices")}, truth)[0];
    EXPECT_EQ(na.result, verdict::not_applicable);
    EXPECT_NE(na.reason.find("block_read=no"), std::string::npos);
    EXPECT_EQ(score({meta("fs.block_devices", 8)}, {}, truth)[0].result, verdict::not_applicable) << "even without a report";
    truth.lab_host["block_read"] = "yes";
    EXPECT_EQ(score({meta("fs.block_devices", 8)}, {ran("fs.block_devices")}, truth)[0].result, verdict::blocked);
    // Evidence still wins.
    truth.lab_host["open_by_handle"] = "no";
    auto leak = ran("fs.open_by_handle");
    leak.observed = {"bbxtokSECRET1"};
    EXPECT_EQ(score({meta("fs.open_by_handle", 2)}, {leak}, truth)[0].result, verdict::escaped);
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

TEST(Score, AChannelWithNoListenerInTheLabIsNaNeverBlocked) {
    const auto m = meta("net.exotic_af", 1, {"netlink", "vsock"});
    auto r = ran("net.exotic_af");
    r.attempts = {made("netlink"), made("vsock")};
    auto truth = truth_with();
    const auto v = score({m}, {r}, truth)[0];
    EXPECT_EQ(v.result, verdict::blocked) << "made everywhere";
    EXPECT_NE(v.reason.find("channel 'vsock' is not testable here"), std::string::npos)
        << "a refused vsock connect says nothing when the lab had no vsock listener: " << v.reason;
    r.attempts = {made("netlink")};
    EXPECT_EQ(score({m}, {r}, truth)[0].result, verdict::blocked);
    truth.lab_host["listening:host.vsock"] = "yes";
    EXPECT_EQ(score({m}, {r}, truth)[0].result, verdict::error) << "with a listener, the channel must be attempted";
    r.attempts = {made("netlink"), made("vsock")};
    const auto with_listener = score({m}, {r}, truth)[0];
    EXPECT_EQ(with_listener.result, verdict::blocked);
    EXPECT_TRUE(with_listener.reason.empty());
}

TEST(Score, AnAttemptOnAnUndeclaredChannelIsAProbeBug) {
    auto r = ran("net.udp_direct");
    r.attempts = {made("udp4"), made("udp6"), made("sctp")};
    const auto v = score({meta("net.udp_direct", 1, {"udp4", "udp6"})}, {r}, truth_with())[0];
    EXPECT_EQ(v.result, verdict::error);
    EXPECT_NE(v.reason.find("probe bug"), std::string::npos);
}

TEST(Score, TokensCountOnlyInObservedData) {
    auto in_observed = ran("fs.home_secrets");
    in_observed.observed = {"key: bbxtokSECRET1"};
    auto in_attempt = ran("fs.env_secrets");
    in_attempt.attempts = {{"", "read bbxtokSECRET1", "ok", true, false, ""}};
    const auto vs = score({meta("fs.home_secrets", 2), meta("fs.env_secrets", 2)}, {in_observed, in_attempt}, truth_with());
    EXPECT_EQ(find(vs, "fs.home_secrets").result, verdict::escaped);
    EXPECT_EQ(find(vs, "fs.home_secrets").evidence.front().kind, "token");
    EXPECT_EQ(find(vs, "fs.env_secrets").result, verdict::blocked);
}

TEST(Score, LabFactsMatchExactlyAndOnlyForTheProbesThatDeclareThem) {
    auto netlink = ran("net.exotic_af");
    netlink.facts = {{"own_address", "10.200.0.2"}};
    auto text_only = ran("host.gateway_scan");
    text_only.observed = {"HTTPS_PROXY=http://10.200.0.2:3128", "nameserver 10.200.0.2"};
    text_only.facts = {{"own_address", "10.200.0.20"}, {"gateway", "10.200.0.2"}};
    auto wrong_probe = ran("fs.mounts");
    wrong_probe.facts = {{"own_address", "10.200.0.2"}};
    auto pid = ran("ipc.pid_visibility");
    pid.facts = {{"canary_pid", "4242"}};
    auto other_pid = ran("ipc.ptrace_host");
    other_pid.facts = {{"canary_pid", "4242"}};
    const auto vs = score({meta("net.exotic_af", 3), meta("host.gateway_scan", 3), meta("fs.mounts", 8),
                           meta("ipc.pid_visibility", 2), meta("ipc.ptrace_host", 2)},
                          {netlink, text_only, wrong_probe, pid, other_pid}, truth_with());
    EXPECT_EQ(find(vs, "net.exotic_af").result, verdict::escaped);
    EXPECT_EQ(find(vs, "host.gateway_scan").result, verdict::blocked)
        << "a lab address in free text, a longer address, a fact of another name: none is the lab's own address";
    EXPECT_EQ(find(vs, "fs.mounts").result, verdict::blocked) << "no rule lets fs.mounts surface the link address";
    EXPECT_EQ(find(vs, "ipc.pid_visibility").result, verdict::escaped);
    EXPECT_EQ(find(vs, "ipc.ptrace_host").result, verdict::blocked);
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

TEST(Score, MarkersOrphansAndQueuedCanarySignalsAreEffects) {
    const std::string queued = "User defined signal 1 si_code=SI_QUEUE value=" + std::to_string(lab::canary_signal_value(nonce));
    const auto vs = score({meta("fs.write_outside", 4), meta("res.orphans", 4), meta("ipc.ptrace_host", 4)},
                          {ran("fs.write_outside"), ran("res.orphans"), ran("ipc.ptrace_host")},
                          truth_with({{"marker", "file", "home/.x", "", ".bbx-marker-" + tag("fs.write_outside")},
                                      {"host.orphan", "process", "pid 5", "", "bottle-probe linger " + tag("res.orphans") + " 20"},
                                      {"host.canary_process", "signal", "bbxc-01234567", "pid 9", queued}}));
    for (const auto& v : vs) {
        EXPECT_EQ(v.result, verdict::escaped) << v.id;
        EXPECT_EQ(v.evidence.front().kind, "effect") << v.id;
    }
}

TEST(Score, ASignalWithoutThisRunsValueIsNotEvidence) {
    const std::string other = std::to_string(lab::canary_signal_value("fedcba987654"));
    for (const std::string& data : std::vector<std::string>{"Interrupt si_code=SI_USER value=none", "User defined signal 1 si_code=SI_USER value=none",
                                   "User defined signal 1 si_code=SI_QUEUE value=" + other,
                                   "User defined signal 1 si_code=SI_QUEUE value=" +
                                       std::to_string(lab::canary_signal_value(nonce)) + "0"}) {
        const auto vs = score({meta("ipc.ptrace_host", 4)}, {ran("ipc.ptrace_host")},
                              truth_with({{"host.canary_process", "signal", "bbxc-01234567", "pid 9", data}}));
        EXPECT_EQ(vs[0].result, verdict::blocked) << data;
    }
}

TEST(Score, AtTheAllowedUpstreamOnlyAPolicyBreachIsAnEscape) {
    const std::string t = tag("proxy.host_mismatch");
    auto judge = [&](const std::string& local, const std::string& proto, const std::string& data) {
        const auto vs = score({meta("proxy.host_mismatch", 1)}, {ran("proxy.host_mismatch")},
                              truth_with({{"world.tcp", proto, local, "10.200.0.2:5", data}}));
        return vs[0];
    };
    const std::string compliant = "GET /" + t + " HTTP/1.1\r\nHost: allowed.lab.test\r\nConnection: close\r\n\r\n";
    EXPECT_EQ(judge("203.0.113.80:80", "tcp-stream", compliant).result, verdict::blocked)
        << "a request the proxy made compliant is not an escape";
    EXPECT_EQ(judge("203.0.113.80:80", "tcp", "GET /" + t + " HTTP/1.1\r\nHost: denied.lab.test\r\n\r\n").result, verdict::blocked)
        << "chunks are judged as the whole stream, not one by one";
    const auto fronted = judge("203.0.113.80:80", "tcp-stream", "GET /" + t + " HTTP/1.1\r\nHost: denied.lab.test\r\n\r\n");
    EXPECT_EQ(fronted.result, verdict::escaped);
    EXPECT_NE(fronted.evidence.front().detail.find("Host: denied.lab.test is not the allowed host"), std::string::npos);
    EXPECT_EQ(judge("203.0.113.80:80", "tcp-stream", compliant + compliant).result, verdict::escaped) << "a second request";
    EXPECT_EQ(judge("203.0.113.80:8443", "tcp-stream", compliant).result, verdict::escaped) << "a port that is not allowed";
    EXPECT_EQ(judge("203.0.113.80:443", "udp", t).result, verdict::escaped);
    // The positive control is judged by arrival alone.
    const auto control = score({meta(std::string(positive_control), 1)}, {ran(std::string(positive_control))},
                               truth_with({{"world.tcp", "tcp", "203.0.113.80:80", "p", "GET /" + tag(std::string(positive_control))}}));
    EXPECT_EQ(control[0].result, verdict::escaped);
}

TEST(UpstreamPolicy, RequestsAndClientHellos) {
    EXPECT_FALSE(allowed_upstream_breach("203.0.113.80:80", "tcp", "GET http://Allowed.Lab.Test./x HTTP/1.1\r\nHost: allowed.lab.test:80\r\n\r\n"));
    EXPECT_TRUE(allowed_upstream_breach("203.0.113.80:80", "tcp", "GET http://allowed.lab.test@denied.lab.test/ HTTP/1.1\r\nHost: allowed.lab.test\r\n\r\n"));
    EXPECT_TRUE(allowed_upstream_breach("203.0.113.80:80", "tcp", "GET / HTTP/1.1\r\nHost: allowed.lab.test\r\nHost: allowed.lab.test\r\n\r\n"));
    EXPECT_TRUE(allowed_upstream_breach("203.0.113.80:80", "tcp", "GET / HTTP/1.1\r\nHost: allowed.lab.test:8080\r\n\r\n"));
    const std::string cl_body = "GET http://denied.lab.test/ HTTP/1.1\r\nHost: denied.lab.test\r\n\r\n";
    EXPECT_FALSE(allowed_upstream_breach("203.0.113.80:80", "tcp",
                                         "POST / HTTP/1.1\r\nHost: allowed.lab.test\r\nContent-Length: " +
                                             std::to_string(cl_body.size()) + "\r\n\r\n" + cl_body))
        << "a body is a body";
    EXPECT_TRUE(allowed_upstream_breach("203.0.113.80:80", "tcp",
                                        "POST / HTTP/1.1\r\nHost: allowed.lab.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
    EXPECT_TRUE(allowed_upstream_breach("203.0.113.80:80", "tcp",
                                        "POST / HTTP/1.1\r\nHost: allowed.lab.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + cl_body));
    // A minimal ClientHello: record, handshake, version, random, no session,
    // one suite, null compression, server_name extension.
    auto hello = [](const std::string& name) {
        std::string ext = std::string("\x00\x00", 2);
        const std::size_t list = name.size() + 3;
        ext += static_cast<char>((list + 2) >> 8);
        ext += static_cast<char>((list + 2) & 0xff);
        ext += static_cast<char>(list >> 8);
        ext += static_cast<char>(list & 0xff);
        ext += '\0';
        ext += static_cast<char>(name.size() >> 8);
        ext += static_cast<char>(name.size() & 0xff);
        ext += name;
        std::string body = std::string("\x03\x03", 2) + std::string(32, 'r') + std::string("\x00\x00\x02\x13\x01\x01\x00", 7);
        body += static_cast<char>(ext.size() >> 8);
        body += static_cast<char>(ext.size() & 0xff);
        body += ext;
        std::string hs = std::string("\x01\x00", 2) + static_cast<char>(body.size() >> 8) + static_cast<char>(body.size() & 0xff) + body;
        return std::string("\x16\x03\x01", 3) + static_cast<char>(hs.size() >> 8) + static_cast<char>(hs.size() & 0xff) + hs;
    };
    EXPECT_EQ(bottle::escape::detail::client_hello_sni(hello("denied.lab.test")), std::optional<std::string>("denied.lab.test"));
    EXPECT_FALSE(allowed_upstream_breach("203.0.113.80:443", "tcp", hello("allowed.lab.test")));
    EXPECT_TRUE(allowed_upstream_breach("203.0.113.80:443", "tcp", hello("denied.lab.test")));
    EXPECT_FALSE(bottle::escape::detail::client_hello_sni(hello("x").substr(0, 20))) << "a truncated hello is not parsed past its end";
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
