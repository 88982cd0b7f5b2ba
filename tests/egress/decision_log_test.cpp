#include "bottle-egress/decision_log.hpp"

#include "support/temp_dir.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <fstream>

namespace {

using namespace bottle::egress;

TEST(DecisionLog, JsonStringEscapesEveryHostileByte) {
    EXPECT_EQ(json_string("plain.example.com"), "\"plain.example.com\"");
    EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(json_string(std::string("\0\n\x1f\x7f\xff", 5)), "\"\\u0000\\u000a\\u001f\\u007f\\u00ff\"");
    for (int b = 0; b < 256; ++b) {
        const std::string text = "x" + std::string(1, static_cast<char>(b)) + "y";
        boost::system::error_code ec;
        const auto v = boost::json::parse(json_string(text), ec);
        ASSERT_FALSE(ec) << b;
        ASSERT_TRUE(v.is_string());
        if (b >= 0x20 && b < 0x7f) {
            EXPECT_EQ(std::string(v.as_string()), text);
        }
    }
}

TEST(DecisionLog, OneValidLinePerRecord) {
    decision_record r;
    r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123));
    r.client = "127.0.0.1:5555";
    r.method = "CONNECT";
    r.host = std::string("evil\"}\n{\"decision\":\"allow\0\x01", 27);  // quotes, LF, NUL, a control byte
    r.port = 443;
    r.reason = "host not in allowlist";
    r.bytes_up = 7;
    r.duration = std::chrono::milliseconds(12);
    const std::string line = render(r, "dev");
    ASSERT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    const auto v = boost::json::parse(line).as_object();
    EXPECT_EQ(v.at("time").as_string(), "2023-11-14T22:13:20.123Z");
    EXPECT_EQ(v.at("bottle").as_string(), "dev");
    EXPECT_EQ(v.at("decision").as_string(), "deny");  // the default record is a denial
    EXPECT_EQ(std::string(v.at("host").as_string()), r.host);
    EXPECT_EQ(v.at("port").as_int64(), 443);
    EXPECT_EQ(v.at("bytes_up").as_int64(), 7);
    EXPECT_EQ(v.at("duration_ms").as_int64(), 12);
}

TEST(DecisionLog, AppendsToAFile) {
    bottle::test_support::temp_dir dir;
    const auto path = (dir.path() / "log.jsonl").string();
    {
        auto log = decision_log::open(path, "b1");
        ASSERT_TRUE(log);
        decision_record r;
        r.decision = verdict::allow;
        log->write(r);
        log->write(r);
    }
    std::ifstream in(path);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        EXPECT_EQ(boost::json::parse(line).at("decision").as_string(), "allow");
        ++n;
    }
    EXPECT_EQ(n, 2);
    EXPECT_FALSE(decision_log::open((dir.path() / "missing" / "log").string(), "b1"));
}

}  // namespace
