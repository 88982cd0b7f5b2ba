#include "bottle-preflight/check_support.hpp"

#include <gtest/gtest.h>

namespace {

using namespace bottle::preflight;

TEST(CheckSupport, FindVersion) {
    EXPECT_EQ(find_version("bubblewrap 0.8.0"), (version{0, 8, 0}));
    EXPECT_EQ(find_version("smolvm v1.9.2 (abc 2025)"), (version{1, 9, 2}));
    EXPECT_EQ(find_version("Docker version 24.0.7, build afdd53b"), (version{24, 0, 7}));
    EXPECT_EQ(find_version("tool 2.1"), (version{2, 1, 0}));
    EXPECT_EQ(find_version("x86_64 1.2.3.4"), (version{1, 2, 3}));
    EXPECT_FALSE(find_version("no digits").has_value());
    EXPECT_FALSE(find_version("build 42").has_value());
    EXPECT_FALSE(find_version("1234567.1").has_value()) << "part longer than 6 digits";
    EXPECT_LT((version{1, 7, 7}), (version{1, 8, 0}));
    EXPECT_LT((version{0, 99, 99}), (version{1, 0, 0}));
    EXPECT_EQ((version{1, 8, 0}).text(), "1.8.0");
}

TEST(CheckSupport, TextHelpers) {
    EXPECT_EQ(trim("  a b \n"), "a b");
    EXPECT_EQ(trim(" \t\n"), "");
    EXPECT_EQ(first_line("\n\n  first  \nsecond"), "first");
    EXPECT_EQ(first_line(""), "");
    EXPECT_EQ(parse_integer(" 42\n"), 42);
    EXPECT_EQ(parse_integer("-1"), -1);
    EXPECT_FALSE(parse_integer("4 2").has_value());
    EXPECT_FALSE(parse_integer("").has_value());
    EXPECT_FALSE(parse_integer("-").has_value());
    EXPECT_FALSE(parse_integer("99999999999999999999").has_value());
    EXPECT_EQ(errno_name(ENOENT).rfind("ENOENT (", 0), 0u);
    EXPECT_EQ(errno_name(ELOOP).rfind("errno ", 0), 0u);
}

TEST(CheckSupport, OkDropsRemedy) {
    auto ok = make_check("a.b", "a", "t", check_status::ok, "fine", "do something");
    EXPECT_TRUE(ok.remedy.empty());
    auto bad = make_check("a.b", "a", "t", check_status::warn, "meh", "do something");
    EXPECT_EQ(bad.remedy, "do something");
}

}  // namespace
