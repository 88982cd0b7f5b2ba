#include "bottle/manifest/model.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace {

namespace bm = bottle::manifest;

TEST(ManifestModel, NamesAreShortAndPlain) {
    EXPECT_TRUE(bm::is_valid_name("dev"));
    EXPECT_TRUE(bm::is_valid_name("node-18.x_gpu"));
    EXPECT_TRUE(bm::is_valid_name(std::string(63, 'a')));
    EXPECT_FALSE(bm::is_valid_name(std::string(64, 'a')));
    EXPECT_FALSE(bm::is_valid_name(""));
    EXPECT_FALSE(bm::is_valid_name("-dev"));
    EXPECT_FALSE(bm::is_valid_name(".dev"));
    EXPECT_FALSE(bm::is_valid_name("a b"));
    EXPECT_FALSE(bm::is_valid_name("a->b"));
    EXPECT_FALSE(bm::is_valid_name("a+b"));
    EXPECT_FALSE(bm::is_valid_name("a/b"));
    EXPECT_FALSE(bm::is_valid_name("d\xc3\xa9v"));
}

TEST(ManifestModel, PointerTokensAreEscapedPerRfc6901) {
    EXPECT_EQ(bm::detail::pointer_join("/bottles", "a/b~c"), "/bottles/a~1b~0c");
    EXPECT_EQ(bm::detail::pointer_join("", "x"), "/x");
    EXPECT_EQ(bm::detail::pointer_join("/egress", std::size_t{3}), "/egress/3");
}

TEST(ManifestModel, OriginFallsBackToAPlaceholder) {
    bm::manifest m;
    m.bottle_origin["dev"] = "dev.json";
    EXPECT_EQ(m.origin_of_bottle("dev"), "dev.json");
    EXPECT_EQ(m.origin_of_bottle("other"), "<manifest>");
    EXPECT_EQ(m.origin_of_agent("a"), "<manifest>");
}

TEST(ManifestModel, DefaultLimitsAllowTheDocumentedShapes) {
    const bm::limits lim;
    EXPECT_EQ(lim.max_file_bytes, 4u * 1024u * 1024u);
    EXPECT_EQ(lim.max_extends_depth, 32u);
    EXPECT_GE(lim.max_routes, 1000u);
    EXPECT_GE(lim.max_json_depth, 7u);  // root/bottles/name/git-gate/repos/repo/key
}

TEST(ManifestModel, ReadAtMostStopsOneBytePastTheLimit) {
    // Past 16 KiB steps, and exactly at, under and over the limit.
    const std::string big(40000, 'x');
    std::istringstream whole(big);
    EXPECT_EQ(bm::detail::read_at_most(whole, 50000), big);
    std::istringstream over(big);
    EXPECT_EQ(bm::detail::read_at_most(over, 39999).size(), 40000u);  // one more: the caller sees it is over
    std::istringstream exact(big);
    EXPECT_EQ(bm::detail::read_at_most(exact, 40000).size(), 40000u);
    std::istringstream empty("");
    EXPECT_EQ(bm::detail::read_at_most(empty, 10), "");
    std::istringstream small("abc");
    EXPECT_EQ(bm::detail::read_at_most(small, 1), "ab");
    // Memory follows the input, not the limit.
    std::istringstream tiny("{}");
    EXPECT_LT(bm::detail::read_at_most(tiny, 4u << 20).capacity(), 64u * 1024u);
}

}  // namespace
