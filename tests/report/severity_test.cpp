#include "bottle/report/severity.hpp"

#include <gtest/gtest.h>

namespace {

using bottle::report::severity;

TEST(Severity, NamesRoundTrip) {
    for (severity s : bottle::report::all_severities) {
        auto parsed = bottle::report::parse_severity(bottle::report::to_string(s));
        ASSERT_TRUE(parsed.has_value()) << bottle::report::to_string(s);
        EXPECT_EQ(*parsed, s);
    }
}

TEST(Severity, IsOrderedLeastToMostSevere) {
    EXPECT_LT(severity::info, severity::low);
    EXPECT_LT(severity::low, severity::medium);
    EXPECT_LT(severity::medium, severity::high);
    EXPECT_LT(severity::high, severity::critical);
    EXPECT_TRUE(bottle::report::at_least(severity::high, severity::medium));
    EXPECT_TRUE(bottle::report::at_least(severity::medium, severity::medium));
    EXPECT_FALSE(bottle::report::at_least(severity::low, severity::medium));
}

TEST(Severity, ParseIsStrict) {
    for (const char* bad : {"", "HIGH", "High", " high", "high ", "severe", "crit"}) {
        auto r = bottle::report::parse_severity(bad);
        ASSERT_TRUE(r.has_error()) << '"' << bad << '"';
        EXPECT_TRUE(bottle::failed_with(r, bottle::errc::invalid_argument));
        EXPECT_NE(r.error().message.find("info, low, medium, high, critical"), std::string::npos);
    }
}

}  // namespace
