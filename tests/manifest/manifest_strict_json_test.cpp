#include "bottle/manifest/strict_json.hpp"

#include <gtest/gtest.h>

namespace {

namespace bm = bottle::manifest;
using bottle::errc;
using bottle::failed_with;

TEST(ManifestStrictJson, ParsesOrdinaryJson) {
    auto v = bm::parse_strict_json(R"({"a": [1, {"b": null}], "c": "\u00e9"})", "x.json");
    ASSERT_TRUE(v.has_value()) << v.error().describe();
    EXPECT_EQ(v->at("a").at(1).at("b"), nullptr);
}

TEST(ManifestStrictJson, DuplicateKeysAreRejectedAtAnyDepth) {
    auto top = bm::parse_strict_json(R"({"a": 1, "a": 2})", "x.json");
    ASSERT_TRUE(failed_with(top, errc::parse_error));
    EXPECT_EQ(top.error().message, "x.json: /: duplicate key \"a\"");
    auto nested = bm::parse_strict_json(R"({"a": [0, [], {"k": 1, "k~/": 2, "k~/": 3}]})", "x.json");
    ASSERT_TRUE(failed_with(nested, errc::parse_error));
    EXPECT_EQ(nested.error().message, "x.json: /a/2: duplicate key \"k~/\"");
    // The same key in sibling objects is fine.
    EXPECT_TRUE(bm::parse_strict_json(R"([{"a": 1}, {"a": 2}])", "x.json").has_value());
}

TEST(ManifestStrictJson, EscapedKeysCompareByValue) {
    auto r = bm::parse_strict_json(R"({"a": 1, "\u0061": 2})", "x.json");
    EXPECT_TRUE(failed_with(r, errc::parse_error));
}

TEST(ManifestStrictJson, NonStandardJsonIsRejected) {
    EXPECT_TRUE(failed_with(bm::parse_strict_json(R"({"a": 1,})", "x.json"), errc::parse_error));
    EXPECT_TRUE(failed_with(bm::parse_strict_json("{} // c", "x.json"), errc::parse_error));
    EXPECT_TRUE(failed_with(bm::parse_strict_json("{\"a\": \"\xff\"}", "x.json"), errc::parse_error));
    EXPECT_TRUE(failed_with(bm::parse_strict_json("", "x.json"), errc::parse_error));
    EXPECT_TRUE(failed_with(bm::parse_strict_json("{} {}", "x.json"), errc::parse_error));
}

TEST(ManifestStrictJson, LimitsAreNamed) {
    bm::limits lim;
    lim.max_json_depth = 2;
    auto deep = bm::parse_strict_json("[[[]]]", "x.json", lim);
    ASSERT_TRUE(failed_with(deep, errc::limit_exceeded));
    EXPECT_NE(deep.error().message.find("limit max_json_depth (2) exceeded"), std::string::npos);
    EXPECT_TRUE(bm::parse_strict_json("[[]]", "x.json", lim).has_value());
    lim = {};
    lim.max_file_bytes = 3;
    auto big = bm::parse_strict_json("[1,2]", "x.json", lim);
    ASSERT_TRUE(failed_with(big, errc::limit_exceeded));
    EXPECT_NE(big.error().message.find("max_file_bytes (3)"), std::string::npos);
}

TEST(ManifestStrictJson, SyntaxErrorsCarryLineAndColumn) {
    auto r = bm::parse_strict_json("{\n\"a\": tru\n}", "x.json");
    ASSERT_TRUE(failed_with(r, errc::parse_error));
    EXPECT_NE(r.error().message.find("x.json: line 2, column"), std::string::npos) << r.error().message;
}

}  // namespace
