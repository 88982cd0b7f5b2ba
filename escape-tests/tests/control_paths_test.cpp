// The control run passes a probe only when each declared path left its
// expected tag outside (runner/control_paths.hpp), and the protocol carries
// the expected tags per attempt.
#include "runner/control_paths.hpp"
#include "runner/score.hpp"

#include <gtest/gtest.h>

#include <map>

namespace {

using namespace bottle::escape;

const std::string udp_tag = "bbx-0123456789ab-net-udp-direct";

protocol::probe_line two_paths() {
    protocol::probe_line r;
    r.id = "net.udp_direct";
    r.tag = udp_tag;
    r.status = protocol::probe_status::ran;
    r.attempts = {{"udp4", "udp send v4", "sent", true, true, ""}, {"udp6", "udp send v6", "sent", true, true, ""}};
    r.expects = {udp_tag + "-u4-53", udp_tag + "-u6-53"};
    return r;
}

const protocol::probe_listing udp_meta{"net.udp_direct", "", protocol::scoring::sink, {"udp4", "udp6"}};

protocol::lab_event sink(const std::string& data) { return {"world.udp", "udp", "203.0.113.10:53", "", data, 0}; }

TEST(ControlPaths, EveryPathMustLeaveItsTag) {
    EXPECT_TRUE(control_gaps(udp_meta, two_paths(), {sink(udp_tag + "-u4-53"), sink(udp_tag + "-u6-53")}, {}).empty());
    // One path escaped: the verdict is ESCAPED, but the control is not met.
    const auto gaps = control_gaps(udp_meta, two_paths(), {sink(udp_tag + "-u4-53")}, {});
    ASSERT_EQ(gaps.size(), 2u);
    EXPECT_NE(gaps[0].find(udp_tag + "-u6-53"), std::string::npos);
    EXPECT_NE(gaps[1].find("udp6"), std::string::npos);
    const auto v = score({udp_meta}, {two_paths()}, [] {
        ground_truth t;
        t.nonce = "0123456789ab";
        t.events = {sink(udp_tag + "-u4-53")};
        return t;
    }());
    EXPECT_EQ(v[0].result, verdict::escaped);
    EXPECT_FALSE(v[0].control_gaps.empty());
}

TEST(ControlPaths, NotMadeIsAGapAndAConfirmedNotApplicableChannelIsNot) {
    auto r = two_paths();
    r.attempts[1] = {"udp6", "udp send v6", "ENETUNREACH", false, false, ""};
    EXPECT_EQ(control_gaps(udp_meta, r, {sink(udp_tag + "-u4-53")}, {}).size(), 2u);
    r.attempts[1] = {"udp6", "find a proxy", "none", false, false, std::string(protocol::applicability::no_proxy)};
    r.expects[1] = "";
    EXPECT_TRUE(control_gaps(udp_meta, r, {sink(udp_tag + "-u4-53")}, {}).empty());
}

TEST(ControlPaths, ProbesWithoutExpectedTagsAreJudgedByTheirVerdict) {
    auto r = two_paths();
    r.expects.clear();
    EXPECT_TRUE(control_gaps(udp_meta, r, {}, {}).empty());
}

TEST(ControlPaths, ExpectsRoundTripAndMustMatchTheAttempts) {
    const auto r = two_paths();
    const auto back = protocol::decode_probe_line(protocol::encode(r));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->expects, r.expects);
    auto bad = r;
    bad.expects.pop_back();
    EXPECT_FALSE(protocol::decode_probe_line(protocol::encode(bad)));
}

// net.exotic_af: netlink sends nothing (it escapes through the own_address
// fact), vsock and SCTP have a lab listener only where the kernel gives one.
const std::string exotic_tag = "bbx-0123456789ab-net-exotic-af";
const protocol::probe_listing exotic_meta{"net.exotic_af", "", protocol::scoring::sink | protocol::scoring::token,
                                          {"netlink", "vsock", "sctp", "mptcp"}};

protocol::probe_line exotic_report(const std::string& own_address) {
    protocol::probe_line r;
    r.id = "net.exotic_af";
    r.tag = exotic_tag;
    r.status = protocol::probe_status::ran;
    r.attempts = {{"netlink", "AF_NETLINK dump of routes", "14 entries", true, true, ""},
                  {"vsock", "AF_VSOCK connect", "EINPROGRESS", true, false, ""},
                  {"sctp", "SCTP stream", "socket: EPROTONOSUPPORT", true, false, ""},
                  {"mptcp", "MPTCP", "connected", true, true, ""}};
    r.expects = {"", exotic_tag + "-vsock", exotic_tag + "-sctp-stream", exotic_tag + "-mptcp"};
    r.facts = {{"own_address", own_address}};
    return r;
}

TEST(ControlPaths, AChannelThatSendsNothingEscapesThroughItsLabFact) {
    const std::map<std::string, std::string, std::less<>> lab_truth{{std::string(fact_lab_link_v4), "10.200.0.2"}};
    const std::vector<protocol::lab_event> mptcp_seen{
        {"world.tcp", "tcp", "203.0.113.10:80", "", "GET /" + exotic_tag + "-mptcp HTTP/1.1", 0}};
    // No vsock or SCTP listener here (no listening:* facts): those channels
    // and their tagged attempts are ruled out, never gaps.
    EXPECT_TRUE(control_gaps(exotic_meta, exotic_report("10.200.0.2"), mptcp_seen, {}, lab_truth).empty());
    // The netlink dump did not show the lab host's address: that channel did not escape.
    const auto gaps = control_gaps(exotic_meta, exotic_report("10.99.0.1"), mptcp_seen, {}, lab_truth);
    ASSERT_EQ(gaps.size(), 1u);
    EXPECT_NE(gaps[0].find("netlink"), std::string::npos);
    // Without the lab's truth the fact proves nothing either.
    EXPECT_EQ(control_gaps(exotic_meta, exotic_report("10.200.0.2"), mptcp_seen, {}, {}).size(), 1u);
}

TEST(ControlPaths, AListenerThatExistsMakesItsChannelExpected) {
    const std::map<std::string, std::string, std::less<>> lab_truth{{std::string(fact_lab_link_v4), "10.200.0.2"}};
    const std::vector<protocol::lab_event> mptcp_seen{
        {"world.tcp", "tcp", "203.0.113.10:80", "", "GET /" + exotic_tag + "-mptcp HTTP/1.1", 0}};
    const host_facts with_sctp{{"listening:world.sctp", "yes"}};
    const auto gaps = control_gaps(exotic_meta, exotic_report("10.200.0.2"), mptcp_seen, with_sctp, lab_truth);
    ASSERT_EQ(gaps.size(), 2u) << "the SCTP attempt left no tag, and the channel has none seen";
    EXPECT_NE(gaps[0].find(exotic_tag + "-sctp-stream"), std::string::npos);
    EXPECT_NE(gaps[1].find("'sctp'"), std::string::npos);
}

}  // namespace
