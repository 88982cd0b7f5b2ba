#include "protocol/lines.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace bottle::escape::protocol;

std::string all_bytes() {
    std::string s;
    for (int c = 0; c < 256; ++c) s += static_cast<char>(c);
    return s;
}

probe_line sample_line() {
    probe_line p;
    p.id = "net.icmp";
    p.tag = "bbx-0123456789ab-net-icmp";
    p.status = probe_status::ran;
    p.reason = "quotes \" and \\ backslash";
    p.applicability = "no_proxy";
    p.attempts = {{"icmp4", "raw socket", "EPERM", true, false, ""},
                  {"icmp6", "ping socket \n", all_bytes(), true, true, ""},
                  {"proxy", "find a proxy", "none", false, false, "no_proxy"}};
    p.observed = {all_bytes(), "", "plain"};
    p.facts = {{"own_address", "10.200.0.2"}, {"canary_pid", all_bytes()}};
    p.duration_ms = 1234;
    return p;
}

TEST(ProtocolLines, ProbeLineRoundTripsEveryByte) {
    for (const auto status : {probe_status::ran, probe_status::na, probe_status::error}) {
        auto p = sample_line();
        p.status = status;
        const std::string line = encode(p);
        EXPECT_EQ(line.find('\n'), std::string::npos) << "one line";
        const auto back = decode_probe_line(line);
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(*back, p);
    }
}

TEST(ProtocolLines, EmptyListsAndMissingOptionalKeysDecode) {
    const auto back = decode_probe_line(R"({"probe":"x.y","status":"na"})");
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->status, probe_status::na);
    EXPECT_TRUE(back->attempts.empty());
    EXPECT_TRUE(back->observed.empty());
}

TEST(ProtocolLines, ListingAndEventRoundTrip) {
    const probe_listing l{"kern.high_risk", "bpf, io_uring \xff", scoring::self | scoring::sink, {"bpf", "io\x01uring"}};
    const auto lb = decode_probe_listing(encode(l));
    ASSERT_TRUE(lb) << lb.error().message;
    EXPECT_EQ(*lb, l);
    const lab_event e{"world.wire", "frame", "bbxw1", "", all_bytes() + all_bytes(), 1733000000123LL};
    const auto eb = decode_event_line(encode(e));
    ASSERT_TRUE(eb) << eb.error().message;
    EXPECT_EQ(*eb, e);
}

TEST(ProtocolLines, DecodingIsStrictAndSaysWhy) {
    auto why = [](std::string_view line) {
        const auto r = decode_probe_line(line);
        return r ? std::string("accepted") : r.error().message;
    };
    EXPECT_NE(why("Welcome to the sandbox!").find("not JSON"), std::string::npos);
    EXPECT_NE(why("[1]").find("not a JSON object"), std::string::npos);
    EXPECT_NE(why(R"({"probe":"x","status":"escaped"})").find("status \"escaped\""), std::string::npos)
        << "a probe cannot claim a verdict";
    EXPECT_NE(why(R"({"status":"ran"})").find("missing \"probe\""), std::string::npos);
    EXPECT_NE(why(R"({"probe":"","status":"ran"})").find("empty"), std::string::npos);
    EXPECT_NE(why(R"({"probe":"x","status":"ran","verdict":"BLOCKED"})").find("unknown key \"verdict\""), std::string::npos);
    EXPECT_NE(why(R"({"probe":"x","status":"ran","observed":["\u0100"]})").find("above 255"), std::string::npos);
    EXPECT_NE(why(R"({"probe":"x","status":"ran","attempts":[{"action":"a","reached":"yes"}]})").find("\"reached\""),
              std::string::npos);
    EXPECT_NE(why(R"({"probe":"x","status":"ran","attempts":[{"action":"a","made":true,"na":"no_proxy"}]})")
                  .find("made cannot be not applicable"),
              std::string::npos);
    const auto old_style = decode_probe_line(R"({"probe":"x","status":"ran","attempts":[{"action":"a","reached":true}]})");
    ASSERT_TRUE(old_style);
    EXPECT_FALSE(old_style->attempts[0].made) << "an attempt that does not say it was made was not";
    EXPECT_NE(why(R"({"probe":"x","status":"ran","attempts":{}})").find("not a list"), std::string::npos);
    EXPECT_NE(why(R"({"probe":"x","status":"ran","duration_ms":"3"})").find("not an integer"), std::string::npos);
    EXPECT_NE(why(R"({"probe":"x","status":"ran"} trailing)").find("not JSON"), std::string::npos);
    EXPECT_FALSE(decode_event_line(R"({"proto":"tcp"})"));
    EXPECT_FALSE(decode_event_line(R"({"sink":"world.tcp","data":1})"));
    EXPECT_FALSE(decode_probe_listing(R"({"probe":"x","scoring":16})")) << "no such scoring bit";
    EXPECT_FALSE(decode_probe_listing(R"({"probe":"x","channels":[""]})")) << "a channel needs a name";
    EXPECT_FALSE(decode_probe_listing(R"({"probe":"x","channels":"udp"})"));
    EXPECT_TRUE(decode_event_line(R"({"sink":"world.tcp","data":"x"})"));
}

TEST(ProtocolLines, RawUtf8FromAForgedLineIsReadAsBytesOrRefused) {
    // The encoder never writes raw bytes above 0x7f; a forged line might.
    const auto two_byte = decode_probe_line("{\"probe\":\"x\",\"status\":\"ran\",\"observed\":[\"\xc3\xa9\"]}");
    ASSERT_TRUE(two_byte);
    EXPECT_EQ(two_byte->observed[0], "\xe9");
    EXPECT_FALSE(decode_probe_line("{\"probe\":\"x\",\"status\":\"ran\",\"observed\":[\"\xe2\x82\xac\"]}"));
}

}  // namespace

namespace {

using namespace bottle::escape::protocol;

TEST(ProtocolLines, HostStatusRoundTripsAndNeedsExactlyOneFact) {
    for (const host_status& h : {host_status{host_status::kind::error, "profile setup failed: \"x\"\n\xff"},
                                host_status{host_status::kind::sandbox_exit, "signal Killed"},
                                host_status{host_status::kind::fact, "ia32=no"}}) {
        const auto back = decode_host_status(encode(h));
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(*back, h);
    }
    EXPECT_FALSE(decode_host_status("{}"));
    EXPECT_FALSE(decode_host_status(R"({"error":"a","sandbox_exit":"0"})"));
    EXPECT_FALSE(decode_host_status(R"({"warning":"a"})"));
    EXPECT_FALSE(decode_host_status(R"({"error":1})"));
}

}  // namespace
