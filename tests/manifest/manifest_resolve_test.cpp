#include "bottle/manifest/resolve.hpp"

#include "bottle/manifest/canonical.hpp"
#include "bottle/manifest/parse.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

namespace bm = bottle::manifest;
namespace json = boost::json;
using bottle::errc;
using bottle::failed_with;

bm::manifest parse(std::string_view text) {
    auto r = bm::parse_manifest(text, "dev.json");
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().describe());
    return r ? *r : bm::manifest{};
}

std::string canon(const json::object& o) { return bm::canonical_json(o).value(); }

constexpr std::string_view chain_manifest = R"({"bottles": {
  "base": {"egress": [{"host": "a.com", "ports": [443]}, {"host": "b.com"}], "env": {"LANG": "C", "TZ": "UTC"},
           "resources": {"cpus": 2, "memory_mib": 1024}, "supervise": true, "backend": "native",
           "mounts": [{"host": "/src", "guest": "/work", "mode": "ro"}]},
  "node": {"extends": "base", "egress": [{"host": "npm.org"}, {"host": "a.com", "ports": [8443]}], "env": {"NODE": "1"}},
  "dev":  {"extends": "node", "env": {"TZ": null}, "resources": {"cpus": 4}, "supervise": null,
           "mounts": [{"host": "/src", "guest": "/work", "mode": "rw"}, {"host": "/cache", "guest": "/cache", "mode": "rw"}]}
}})";

TEST(ManifestResolve, ChainAppliesEveryRuleRootFirst) {
    auto m = parse(chain_manifest);
    auto r = bm::resolve_bottle(m, "dev");
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    EXPECT_EQ(r->name, "dev");
    EXPECT_EQ(bm::format_lineage(r->lineage), "base -> node -> dev");
    EXPECT_EQ(r->value, json::parse(R"({
      "egress": [{"host": "a.com", "ports": [8443]}, {"host": "b.com"}, {"host": "npm.org"}],
      "env": {"LANG": "C", "NODE": "1"},
      "resources": {"cpus": 4, "memory_mib": 1024},
      "backend": "native",
      "mounts": [{"host": "/src", "guest": "/work", "mode": "rw"}, {"host": "/cache", "guest": "/cache", "mode": "rw"}]
    })").as_object());
    EXPECT_FALSE(r->value.contains("extends"));
}

TEST(ManifestResolve, BottleWithoutExtendsResolvesToItself) {
    auto m = parse(chain_manifest);
    auto r = bm::resolve_bottle(m, "base");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->lineage, std::vector<std::string>{"base"});
    EXPECT_EQ(r->value, m.bottles.at("base").as_object());
}

TEST(ManifestResolve, MultipleParentsMergeLeftToRightAndSharedAncestorsOnce) {
    auto m = parse(R"({"bottles": {
      "base": {"backend": "native", "env": {"X": "base"}},
      "a": {"extends": "base", "env": {"X": "a", "A": "1"}, "backend": "docker"},
      "b": {"extends": "base", "env": {"B": "1"}},
      "dev": {"extends": ["a", "b"], "env": {"D": "1"}}
    }})");
    auto r = bm::resolve_bottle(m, "dev");
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    EXPECT_EQ(bm::format_lineage(r->lineage), "base -> a -> b -> dev");
    // base is applied once, before a, so b does not undo a's overrides of base.
    EXPECT_EQ(r->value, json::parse(R"({"backend": "docker", "env": {"X": "a", "A": "1", "B": "1", "D": "1"}})").as_object());
}

TEST(ManifestResolve, LaterParentWins) {
    auto m = parse(R"({"bottles": {"a": {"backend": "docker"}, "b": {"backend": "smolmachines"},
                                   "ab": {"extends": ["a", "b"]}, "ba": {"extends": ["b", "a"]}}})");
    EXPECT_EQ(bm::resolve_bottle(m, "ab")->value.at("backend"), "smolmachines");
    EXPECT_EQ(bm::resolve_bottle(m, "ba")->value.at("backend"), "docker");
    EXPECT_EQ(bm::format_lineage(bm::lineage_of(m, "ba").value()), "b -> a -> ba");
}

TEST(ManifestResolve, CycleIsAnErrorNamingTheCycle) {
    auto m = parse(R"({"bottles": {"a": {"extends": "b"}, "b": {"extends": "a"}, "c": {"extends": "c"},
                                   "d": {"extends": ["x", "e"]}, "e": {"extends": "f"}, "f": {"extends": "d"}, "x": {}}})");
    auto ab = bm::resolve_bottle(m, "a");
    ASSERT_TRUE(failed_with(ab, errc::conflict));
    EXPECT_EQ(ab.error().message, "dev.json: /bottles/a/extends: extends cycle a -> b -> a; remove one of these extends");
    auto cc = bm::resolve_bottle(m, "c");
    ASSERT_TRUE(failed_with(cc, errc::conflict));
    EXPECT_NE(cc.error().message.find("extends cycle c -> c"), std::string::npos);
    auto ee = bm::resolve_bottle(m, "e");
    ASSERT_TRUE(failed_with(ee, errc::conflict));
    EXPECT_NE(ee.error().message.find("extends cycle e -> f -> d -> e"), std::string::npos) << ee.error().message;
    EXPECT_TRUE(failed_with(bm::check_manifest(m), errc::conflict));
}

std::string chain_of(int n) {
    std::string text = R"({"bottles": {"b1": {"env": {"L1": "1"}})";
    for (int i = 2; i <= n; ++i)
        text += ", \"b" + std::to_string(i) + "\": {\"extends\": \"b" + std::to_string(i - 1) + "\", \"env\": {\"L" + std::to_string(i) + "\": \"1\"}}";
    return text + "}}";
}

TEST(ManifestResolve, ChainOf32IsAllowedAnd33IsAnError) {
    auto ok = parse(chain_of(32));
    auto r = bm::resolve_bottle(ok, "b32");
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    EXPECT_EQ(r->lineage.size(), 32u);
    EXPECT_EQ(r->value.at("env").as_object().size(), 32u);

    auto deep = parse(chain_of(33));
    auto e = bm::resolve_bottle(deep, "b33");
    ASSERT_TRUE(failed_with(e, errc::limit_exceeded));
    EXPECT_NE(e.error().message.find("limit max_extends_depth (32) exceeded"), std::string::npos) << e.error().message;
    EXPECT_NE(e.error().message.find("dev.json: /bottles/b33"), std::string::npos) << e.error().message;
    EXPECT_NE(e.error().message.find("b1 -> b2 -> "), std::string::npos) << e.error().message;
}

TEST(ManifestResolve, DepthCountsTheLongestPathEvenWhenAParentWasVisitedFirst) {
    // x reaches b20 directly first (memoised), then through b33 -> ... -> b21 -> b20.
    std::string text = chain_of(33);
    text.insert(text.size() - 2, R"(, "x": {"extends": ["b20", "b33"]})");
    auto m = parse(text);
    auto e = bm::resolve_bottle(m, "x");
    ASSERT_TRUE(failed_with(e, errc::limit_exceeded));
    EXPECT_NE(e.error().message.find("max_extends_depth (32)"), std::string::npos);
}

TEST(ManifestResolve, UnknownParentIsNamedWithWhereItWasReferenced) {
    auto m = parse(R"({"bottles": {"dev": {"extends": ["base", "nod"]}, "base": {}}})");
    auto e = bm::resolve_bottle(m, "dev");
    ASSERT_TRUE(failed_with(e, errc::not_found));
    EXPECT_EQ(e.error().message, "dev.json: /bottles/dev/extends/1: unknown bottle \"nod\" in extends");
    auto unknown = bm::resolve_bottle(m, "prod");
    ASSERT_TRUE(failed_with(unknown, errc::not_found));
    EXPECT_EQ(unknown.error().message, "unknown bottle \"prod\"; the manifest defines: dev, base");
}

TEST(ManifestResolve, RuntimeMergeUsesTheSameRules) {
    auto m = parse(R"({"bottles": {
      "dev": {"egress": [{"host": "a.com"}], "resources": {"cpus": 2, "memory_mib": 512}, "backend": "native"},
      "gpu": {"egress": [{"host": "cuda.com"}, {"host": "a.com", "ports": [443]}], "resources": {"cpus": 8}, "backend": "docker"}
    }})");
    std::vector<std::string> names{"dev", "gpu"};
    auto r = bm::merge_bottles(m, names);
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    EXPECT_EQ(r->name, "dev+gpu");
    EXPECT_EQ(bm::format_lineage(r->lineage), "dev -> gpu");
    EXPECT_EQ(r->value, json::parse(R"({"egress": [{"host": "a.com", "ports": [443]}, {"host": "cuda.com"}],
                                        "resources": {"cpus": 8, "memory_mib": 512}, "backend": "docker"})").as_object());
    std::vector<std::string> none;
    EXPECT_TRUE(failed_with(bm::merge_bottles(m, none), errc::invalid_argument));
    std::vector<std::string> bad{"dev", "gpx"};
    EXPECT_TRUE(failed_with(bm::merge_bottles(m, bad), errc::not_found));
}

TEST(ManifestResolve, RuntimeMergeOfANullFreeLineageEqualsResolvingTheChild) {
    auto m = parse(R"({"bottles": {
      "base": {"egress": [{"host": "a.com", "ports": [443]}], "env": {"LANG": "C"}},
      "node": {"extends": "base", "egress": [{"host": "a.com", "ports": [8443]}, {"host": "npm.org"}]},
      "dev": {"extends": "node", "env": {"LANG": "C.UTF-8"}}
    }})");
    auto lineage = bm::lineage_of(m, "dev").value();
    auto runtime = bm::merge_bottles(m, lineage);
    auto resolved = bm::resolve_bottle(m, "dev");
    ASSERT_TRUE(runtime.has_value() && resolved.has_value());
    EXPECT_EQ(canon(runtime->value), canon(resolved->value));
}

// The runtime merge folds *resolved* bottles: a chosen bottle carries its
// whole resolution, so its ancestors' routes come again. x and y share
// `base`; y re-applies base's a.com:443 over x's override a.com:8443. The
// linearised merge used before (`{"extends": ["x", "y"]}`, base once) kept
// 8443 — the egress list that differed from the original's.
TEST(ManifestResolve, RuntimeMergeOfBottlesSharingAnAncestorFoldsTheResolvedBottles) {
    auto m = parse(R"({"bottles": {
      "base": {"egress": [{"host": "a.com", "ports": [443]}], "env": {"TZ": "UTC"}},
      "x": {"extends": "base", "egress": [{"host": "a.com", "ports": [8443]}, {"host": "x.com"}], "env": {"TZ": null}},
      "y": {"extends": "base", "egress": [{"host": "y.com"}]},
      "xy": {"extends": ["x", "y"]}
    }})");
    std::vector<std::string> chosen{"x", "y"};
    auto r = bm::merge_bottles(m, chosen);
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    EXPECT_EQ(r->name, "x+y");
    EXPECT_EQ(bm::format_lineage(r->lineage), "base -> x -> y");
    EXPECT_EQ(r->value.at("egress"), json::parse(R"([{"host": "a.com", "ports": [443]}, {"host": "x.com"}, {"host": "y.com"}])"));
    // x deleted TZ, y's resolution has it: a resolved bottle holds no nulls, so it comes back.
    EXPECT_EQ(r->value.at("env"), json::parse(R"({"TZ": "UTC"})"));
    // The static extends graph is still linearised (base once): the two differ.
    auto xy = bm::resolve_bottle(m, "xy");
    ASSERT_TRUE(xy.has_value()) << xy.error().describe();
    EXPECT_EQ(xy->value.at("egress"), json::parse(R"([{"host": "a.com", "ports": [8443]}, {"host": "x.com"}, {"host": "y.com"}])"));
    EXPECT_FALSE(xy->value.contains("env") && xy->value.at("env").as_object().contains("TZ"));
    // Order matters: y then x gives x's override.
    std::vector<std::string> reversed{"y", "x"};
    auto yx = bm::merge_bottles(m, reversed);
    ASSERT_TRUE(yx.has_value());
    EXPECT_EQ(yx->value.at("egress"), json::parse(R"([{"host": "a.com", "ports": [8443]}, {"host": "y.com"}, {"host": "x.com"}])"));
}

TEST(ManifestResolve, RuntimeMergeCountsARepeatedNameOnceAndChecksTheSum) {
    auto m = parse(R"({"bottles": {"a": {"backend": "docker"}, "b": {"backend": "native"},
                                   "r1": {"egress": [{"host": "one.com"}]}, "r2": {"egress": [{"host": "two.com"}]}}})");
    std::vector<std::string> aba{"a", "b", "a"};
    auto r = bm::merge_bottles(m, aba);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->name, "a+b");
    EXPECT_EQ(r->value.at("backend"), "native");
    bm::limits lim;
    lim.max_routes = 1;
    std::vector<std::string> both{"r1", "r2"};
    auto over = bm::merge_bottles(m, both, lim);
    ASSERT_TRUE(failed_with(over, errc::limit_exceeded));
    EXPECT_NE(over.error().message.find("bottles r1+r2 merged at launch"), std::string::npos) << over.error().message;
}

TEST(ManifestResolve, InvalidRawDefinitionInAHandBuiltManifestIsCaught) {
    bm::manifest m;
    m.bottles["dev"] = json::parse(R"({"egress": "everything"})");
    auto r = bm::resolve_bottle(m, "dev");
    ASSERT_TRUE(failed_with(r, errc::parse_error));
    EXPECT_EQ(r.error().message, "<manifest>: /bottles/dev/egress: expected a list of {host, ports}, got a string");
}

}  // namespace

namespace {

TEST(ManifestResolveLimits, LineageSizeIsBounded) {
    std::string text = R"({"bottles": {)";
    std::string all;
    for (int i = 0; i < 10; ++i) {
        text += "\"p" + std::to_string(i) + "\": {}, ";
        all += std::string(all.empty() ? "" : ", ") + "\"p" + std::to_string(i) + "\"";
    }
    text += "\"wide\": {\"extends\": [" + all + "]}}}";
    auto m = parse(text);
    bm::limits lim;
    lim.max_lineage = 10;
    auto r = bm::resolve_bottle(m, "wide", lim);
    ASSERT_TRUE(failed_with(r, errc::limit_exceeded));
    EXPECT_NE(r.error().message.find("limit max_lineage (10) exceeded"), std::string::npos) << r.error().message;
    lim.max_lineage = 11;
    EXPECT_TRUE(bm::resolve_bottle(m, "wide", lim).has_value());
}

}  // namespace
