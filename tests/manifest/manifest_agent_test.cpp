#include "bottle/manifest/agent.hpp"

#include "bottle/manifest/parse.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

namespace bm = bottle::manifest;
using bottle::errc;
using bottle::failed_with;

const std::string data_dir = std::string(BOTTLE_SOURCE_DIR) + "/tests/manifest/data";

TEST(ManifestAgent, ResolvesCommandPromptSkillsAndBottle) {
    auto m = bm::load_manifest(data_dir + "/realistic.json");
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

TEST(ManifestAgent, LaunchBottlesAreMergedAfterTheAgentsOwn) {
    auto m = bm::load_manifest(data_dir + "/realistic.json");
    ASSERT_TRUE(m.has_value());
    std::vector<std::string> launch{"gpu"};
    auto a = bm::resolve_agent(*m, "claude", launch);
    ASSERT_TRUE(a.has_value()) << a.error().describe();
    EXPECT_EQ(a->bottle.name, "dev+gpu");
    EXPECT_EQ(a->bottle.value.at("backend"), "docker");
    EXPECT_EQ(a->bottle.value.at("resources").at("cpus"), 8);
    EXPECT_EQ(a->bottle.value.at("resources").at("memory_mib"), 4096);
}

TEST(ManifestAgent, AgentWithoutAnyBottleIsAnError) {
    auto m = bm::load_manifest(data_dir + "/realistic.json");
    ASSERT_TRUE(m.has_value());
    auto a = bm::resolve_agent(*m, "free");
    ASSERT_TRUE(failed_with(a, errc::invalid_argument));
    EXPECT_NE(a.error().message.find("choose one at launch"), std::string::npos);
    std::vector<std::string> launch{"base"};
    EXPECT_TRUE(bm::resolve_agent(*m, "free", launch).has_value());
    EXPECT_TRUE(failed_with(bm::resolve_agent(*m, "nobody"), errc::not_found));
}

}  // namespace
