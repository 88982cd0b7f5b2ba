#include "bottle/manifest/agent.hpp"

#include "bottle/manifest/parse.hpp"

#include <boost/json/parse.hpp>
#include "support/test_data.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

namespace bm = bottle::manifest;
using bottle::errc;
using bottle::failed_with;


TEST(ManifestAgent, ResolvesCommandPromptSkillsAndBottle) {
    auto m = bm::load_manifest(bottle::test::data_dir("manifest") + "/realistic.json");
    ASSERT_TRUE(m.has_value()) << m.error().describe();
    auto a = bm::resolve_agent(*m, "claude");
    ASSERT_TRUE(a.has_value()) << a.error().describe();
    EXPECT_EQ(a->command, (std::vector<std::string>{"claude", "--verbose"}));
    EXPECT_EQ(a->prompt, "fix the tests");
    EXPECT_EQ(a->skills, (std::vector<std::string>{"git", "node"}));
    EXPECT_EQ(a->bottle.name, "dev");
    EXPECT_EQ(bm::format_lineage(a->bottle.lineage), "base -> node -> dev");
    EXPECT_FALSE(a->bottle.value.at("env").as_object().contains("TZ"));
}

TEST(ManifestAgent, ALaunchChoiceReplacesTheAgentsBottles) {
    auto m = bm::load_manifest(bottle::test::data_dir("manifest") + "/realistic.json");
    ASSERT_TRUE(m.has_value());
    // The launch choice replaces the agent's "dev": nothing of dev is left.
    std::vector<std::string> launch{"gpu"};
    auto a = bm::resolve_agent(*m, "claude", launch);
    ASSERT_TRUE(a.has_value()) << a.error().describe();
    EXPECT_EQ(a->bottle.name, "gpu");
    EXPECT_EQ(bm::format_lineage(a->bottle.lineage), "gpu");
    EXPECT_EQ(a->bottle.value.at("backend"), "docker");
    EXPECT_EQ(a->bottle.value.at("resources").at("cpus"), 8);
    EXPECT_FALSE(a->bottle.value.contains("egress"));
    EXPECT_FALSE(a->bottle.value.contains("mounts"));
    // To keep the agent's bottle, the launch names it too (a picker pre-fills it).
    std::vector<std::string> both{"dev", "gpu"};
    auto b = bm::resolve_agent(*m, "claude", both);
    ASSERT_TRUE(b.has_value()) << b.error().describe();
    EXPECT_EQ(b->bottle.name, "dev+gpu");
    EXPECT_EQ(b->bottle.value.at("backend"), "docker");
    EXPECT_EQ(b->bottle.value.at("resources").at("memory_mib"), 4096);
    // No launch choice: the agent's own list.
    auto c = bm::resolve_agent(*m, "claude");
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->bottle.name, "dev");
}

TEST(ManifestAgent, TheAgentsListPreselectsTheLaunchChoice) {
    auto one = boost::json::parse(R"({"bottle": "dev", "command": ["x"]})").as_object();
    auto two = boost::json::parse(R"({"bottle": ["dev", "gpu"], "command": ["x"]})").as_object();
    auto none = boost::json::parse(R"({"command": ["x"]})").as_object();
    EXPECT_EQ(bm::preselected_bottles(one), (std::vector<std::string>{"dev"}));
    EXPECT_EQ(bm::preselected_bottles(two), (std::vector<std::string>{"dev", "gpu"}));
    EXPECT_TRUE(bm::preselected_bottles(none).empty());
    std::vector<std::string> launch{"base"};
    EXPECT_EQ(bm::chosen_bottles(two, launch), launch);
    EXPECT_EQ(bm::chosen_bottles(two, {}), (std::vector<std::string>{"dev", "gpu"}));
    EXPECT_TRUE(bm::chosen_bottles(none, {}).empty());
}

TEST(ManifestAgent, AgentWithoutAnyBottleIsAnError) {
    auto m = bm::load_manifest(bottle::test::data_dir("manifest") + "/realistic.json");
    ASSERT_TRUE(m.has_value());
    auto a = bm::resolve_agent(*m, "free");
    ASSERT_TRUE(failed_with(a, errc::invalid_argument));
    EXPECT_NE(a.error().message.find("choose one at launch"), std::string::npos);
    std::vector<std::string> launch{"base"};
    EXPECT_TRUE(bm::resolve_agent(*m, "free", launch).has_value());
    EXPECT_TRUE(failed_with(bm::resolve_agent(*m, "nobody"), errc::not_found));
}

}  // namespace
