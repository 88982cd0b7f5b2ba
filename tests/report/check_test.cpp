#include "bottle/report/check.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

using bottle::report::check_result;
using bottle::report::check_status;

TEST(Check, DefaultIsFail) {
    check_result c;
    EXPECT_EQ(c.status, check_status::fail);
}

TEST(Check, StatusNamesRoundTripAndParseIsStrict) {
    for (auto s : bottle::report::all_check_statuses) {
        auto p = bottle::report::parse_check_status(bottle::report::to_string(s));
        ASSERT_TRUE(p.has_value());
        EXPECT_EQ(*p, s);
    }
    EXPECT_TRUE(bottle::failed_with(bottle::report::parse_check_status("OK"), bottle::errc::invalid_argument));
    EXPECT_TRUE(bottle::failed_with(bottle::report::parse_check_status("passed"), bottle::errc::invalid_argument));
}

TEST(Check, SummaryCountsEachStatus) {
    std::vector<check_result> cs(6);
    cs[0].status = check_status::ok;
    cs[1].status = check_status::ok;
    cs[2].status = check_status::warn;
    // cs[3..5] stay default: fail
    auto s = bottle::report::summarize(cs);
    EXPECT_EQ(s.ok, 2u);
    EXPECT_EQ(s.warn, 1u);
    EXPECT_EQ(s.fail, 3u);
    EXPECT_EQ(bottle::report::summarize(std::vector<check_result>{}), bottle::report::check_summary{});
}

}  // namespace
