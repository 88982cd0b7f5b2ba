// The control run passes a probe only when each declared path left its
// expected tag outside (runner/control_paths.hpp), and the protocol carries
// the expected tags per attempt.
#include "runner/control_paths.hpp"
#include "runner/score.hpp"

#include <gtest/gtest.h>

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

}  // namespace
