#include "bottle/result.hpp"

#include <gtest/gtest.h>

namespace {

bottle::result<int> parse_positive(int v) {
    if (v <= 0) return bottle::make_error(bottle::errc::invalid_argument, "value " + std::to_string(v) + " is not positive");
    return v;
}

TEST(Result, ValueAndErrorAreDistinguished) {
    auto ok = parse_positive(3);
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(*ok, 3);

    auto bad = parse_positive(-1);
    ASSERT_TRUE(bad.has_error());
    EXPECT_TRUE(bottle::failed_with(bad, bottle::errc::invalid_argument));
    EXPECT_FALSE(bottle::failed_with(bad, bottle::errc::parse_error));
    EXPECT_EQ(bad.error().message, "value -1 is not positive");
    EXPECT_EQ(bad.error().code.category().name(), std::string("bottle"));
}

TEST(Result, ValueOnFailureThrowsWithTheWholeError) {
    auto bad = parse_positive(0);
    try {
        (void)bad.value();
        FAIL() << "value() did not throw";
    } catch (const bottle::error_exception& e) {
        EXPECT_EQ(e.get().message, "value 0 is not positive");
        EXPECT_NE(std::string(e.what()).find("invalid argument"), std::string::npos);
    }
}

TEST(Result, ErrcConvertsToErrorCode) {
    boost::system::error_code ec = bottle::errc::not_found;
    EXPECT_EQ(ec, bottle::make_error_code(bottle::errc::not_found));
    EXPECT_EQ(ec.message(), "not found");
}

}  // namespace
