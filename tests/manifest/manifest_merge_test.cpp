#include "bottle/manifest/merge.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace {

namespace bm = bottle::manifest;
namespace json = boost::json;

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

json::object merged(std::string_view base, std::string_view overlay) {
    auto r = bm::merge_bottle(obj(base), obj(overlay));
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().describe());
    return r ? *r : json::object{};
}

TEST(ManifestMerge, ScalarsLaterWins) {
    auto m = merged(R"({"supervise": true, "backend": "native"})", R"({"backend": "docker"})");
    EXPECT_EQ(m, obj(R"({"supervise": true, "backend": "docker"})"));
}

TEST(ManifestMerge, PlainListsAreReplacedNotJoined) {
    auto m = merged(R"({"egress": [{"host": "a.com", "ports": [80, 443]}]})", R"({"egress": [{"host": "a.com", "ports": [8443]}]})");
    EXPECT_EQ(m.at("egress"), json::parse(R"([{"host": "a.com", "ports": [8443]}])"));
}

TEST(ManifestMerge, EnvIsDeepMergedByKey) {
    auto m = merged(R"({"env": {"A": "1", "B": "2"}})", R"({"env": {"B": "20", "C": "3"}})");
    EXPECT_EQ(m.at("env"), json::parse(R"({"A": "1", "B": "20", "C": "3"})"));
}

TEST(ManifestMerge, ResourcesAndRepoFieldsAreDeepMerged) {
    auto m = merged(R"({"resources": {"cpus": 2, "memory_mib": 1024},
                        "git-gate": {"repos": {"app": {"url": "u1", "key": {"provider": "static", "path": "p1"}, "host_key": "k"}}}})",
                    R"({"resources": {"cpus": 4},
                        "git-gate": {"repos": {"app": {"key": {"path": "p2"}}, "lib": {"url": "u2", "key": {"provider": "static", "path": "p3"}, "host_key": "k2"}}}})");
    EXPECT_EQ(m.at("resources"), json::parse(R"({"cpus": 4, "memory_mib": 1024})"));
    const auto& repos = m.at("git-gate").at("repos");
    EXPECT_EQ(repos.at("app"), json::parse(R"({"url": "u1", "key": {"provider": "static", "path": "p2"}, "host_key": "k"})"));
    EXPECT_EQ(repos.at("lib").at("url"), "u2");
}

TEST(ManifestMerge, NullDeletesAtTopLevelAndInsideObjects) {
    auto m = merged(R"({"supervise": true, "env": {"A": "1", "B": "2"}, "resources": {"cpus": 2}})",
                    R"({"supervise": null, "env": {"A": null}, "resources": null})");
    EXPECT_EQ(m, obj(R"({"env": {"B": "2"}})"));
}

TEST(ManifestMerge, NullForAMissingKeyLeavesNoTrace) {
    auto m = merged(R"({})", R"({"backend": null, "env": {"X": null, "Y": "y"}})");
    EXPECT_EQ(m, obj(R"({"env": {"Y": "y"}})"));
}

TEST(ManifestMerge, EgressUnionKeepsFirstAppearanceOrderAndReplacesInPlace) {
    auto m = merged(R"({"egress": [{"host": "a.com"}, {"host": "b.com", "ports": [443]}, {"host": "c.com"}]})",
                    R"({"egress": [{"host": "d.com"}, {"host": "b.com", "ports": [8443]}]})");
    EXPECT_EQ(m.at("egress"), json::parse(R"([{"host": "a.com"}, {"host": "b.com", "ports": [8443]}, {"host": "c.com"}, {"host": "d.com"}])"));
}

TEST(ManifestMerge, EgressReplacementIsWholeEntryNotFieldByField) {
    auto m = merged(R"({"egress": [{"host": "a.com", "ports": [443]}]})", R"({"egress": [{"host": "a.com"}]})");
    EXPECT_EQ(m.at("egress"), json::parse(R"([{"host": "a.com"}])"));
}

TEST(ManifestMerge, EgressHostsCompareCaseInsensitivelyIgnoringATrailingDot) {
    auto m = merged(R"({"egress": [{"host": "API.example.com."}]})", R"({"egress": [{"host": "api.example.com", "ports": [443]}]})");
    EXPECT_EQ(m.at("egress"), json::parse(R"([{"host": "api.example.com", "ports": [443]}])"));
}

TEST(ManifestMerge, MountsAreKeyedByGuestPath) {
    auto m = merged(R"({"mounts": [{"host": "/a", "guest": "/work", "mode": "ro"}, {"host": "/c", "guest": "/cache", "mode": "rw"}]})",
                    R"({"mounts": [{"host": "/b", "guest": "/work", "mode": "rw"}, {"host": "/a", "guest": "/other", "mode": "ro"}]})");
    EXPECT_EQ(m.at("mounts"), json::parse(R"([{"host": "/b", "guest": "/work", "mode": "rw"},
                                              {"host": "/c", "guest": "/cache", "mode": "rw"},
                                              {"host": "/a", "guest": "/other", "mode": "ro"}])"));
}

TEST(ManifestMerge, EgressNullDropsEveryInheritedRoute) {
    auto m = merged(R"({"egress": [{"host": "a.com"}]})", R"({"egress": null})");
    EXPECT_FALSE(m.contains("egress"));
}

TEST(ManifestMerge, ExtendsIsNeverInherited) {
    auto m = merged(R"({"extends": "base", "supervise": true})", R"({"extends": ["x"], "backend": "docker"})");
    EXPECT_EQ(m, obj(R"({"supervise": true, "backend": "docker"})"));
}

TEST(ManifestMerge, AgentSkillsAreAnOrderedUnion) {
    auto r = bm::merge_agent(obj(R"({"skills": ["a", "b"], "command": ["x"]})"), obj(R"({"skills": ["c", "a"], "command": ["y"]})"));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->at("skills"), json::parse(R"(["a", "b", "c"])"));
    EXPECT_EQ(r->at("command"), json::parse(R"(["y"])"));
}

TEST(ManifestMerge, MalformedKeyedListIsAnErrorNotAGuess) {
    auto r = bm::merge_bottle(obj(R"({})"), obj(R"({"egress": [{"port": 1}]})"));
    ASSERT_TRUE(r.has_error());
    EXPECT_TRUE(bottle::failed_with(r, bottle::errc::invalid_argument));
    EXPECT_NE(r.error().message.find("\"host\""), std::string::npos);
}

TEST(ManifestMerge, InputsAreNotModified) {
    const auto base = obj(R"({"env": {"A": "1"}})");
    const auto overlay = obj(R"({"env": {"A": null}})");
    auto r = bm::merge_bottle(base, overlay);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(base, obj(R"({"env": {"A": "1"}})"));
    EXPECT_EQ(overlay, obj(R"({"env": {"A": null}})"));
}

}  // namespace
