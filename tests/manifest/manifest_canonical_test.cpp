#include "bottle/manifest/canonical.hpp"

#include "bottle/manifest/parse.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace {

namespace bm = bottle::manifest;
namespace json = boost::json;

TEST(ManifestCanonical, SortsKeysAtEveryLevelKeepsArrayOrderNoWhitespace) {
    auto v = json::parse(R"({ "b": {"z": 1, "a": [3, 1, {"y": true, "x": null}]}, "a": "s\"\n" })");
    EXPECT_EQ(bm::canonical_json(v).value(), R"({"a":"s\"\n","b":{"a":[3,1,{"x":null,"y":true}],"z":1}})");
}

TEST(ManifestCanonical, KeysSortByBytes) {
    auto v = json::parse(R"({"b": 1, "B": 2, "a-b": 3, "a": 4, "\u00e9": 5})");
    EXPECT_EQ(bm::canonical_json(v).value(), "{\"B\":2,\"a\":4,\"a-b\":3,\"b\":1,\"\xc3\xa9\":5}");
}

TEST(ManifestCanonical, ResolvedBottleIsStableUnderKeyReordering) {
    auto one = bm::parse_manifest(R"({"bottles": {
      "base": {"env": {"A": "1", "B": "2"}, "resources": {"cpus": 1, "pids": 9}, "egress": [{"host": "x.com", "ports": [443]}]},
      "dev": {"extends": "base", "backend": "docker", "env": {"C": "3"}}}})", "one.json");
    auto two = bm::parse_manifest(R"({"bottles": {
      "dev": {"env": {"C": "3"}, "backend": "docker", "extends": "base"},
      "base": {"egress": [{"ports": [443], "host": "x.com"}], "resources": {"pids": 9, "cpus": 1}, "env": {"B": "2", "A": "1"}}}})", "two.json");
    ASSERT_TRUE(one.has_value() && two.has_value());
    auto a = bm::resolve_bottle(*one, "dev");
    auto b = bm::resolve_bottle(*two, "dev");
    ASSERT_TRUE(a.has_value() && b.has_value());
    auto ca = bm::canonical_json(a->value).value();
    EXPECT_EQ(ca, bm::canonical_json(b->value).value());
    EXPECT_EQ(ca, R"({"backend":"docker","egress":[{"host":"x.com","ports":[443]}],"env":{"A":"1","B":"2","C":"3"},"resources":{"cpus":1,"pids":9}})");
}

TEST(ManifestCanonical, ArrayOrderIsSignificant) {
    EXPECT_NE(bm::canonical_json(json::parse("[1,2]")).value(), bm::canonical_json(json::parse("[2,1]")).value());
}

TEST(ManifestCanonical, ExcessiveNestingIsALimitError) {
    json::value v = json::array();
    for (int i = 0; i < 100; ++i) v = json::array{v};
    auto r = bm::canonical_json(v);
    EXPECT_TRUE(bottle::failed_with(r, bottle::errc::limit_exceeded));
}

}  // namespace
