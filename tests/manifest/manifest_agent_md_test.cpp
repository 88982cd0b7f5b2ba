#include "bottle/manifest/agent_md.hpp"

#include "bottle/manifest/agent.hpp"
#include "bottle/manifest/bottle_spec.hpp"
#include "bottle/manifest/parse.hpp"
#include "bottle/manifest/provider.hpp"

#include <boost/json/parse.hpp>
#include "support/test_data.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

namespace bm = bottle::manifest;
namespace json = boost::json;
using bottle::errc;
using bottle::failed_with;


std::string md_error_of(std::string_view text) {
    auto r = bm::parse_agent_markdown(text, "fixer.md");
    return r ? std::string("(loaded)") : r.error().message;
}

TEST(ManifestAgentMd, FrontMatterIsTheAgentAndTheBodyIsThePrompt) {
    auto r = bm::parse_agent_markdown("---\nbottle: [dev, gpu]\nprovider: codex\nskills:\n  - git\n  - \"node\"\n---\n\nFix it.\n\nSmall diff.\n\n",
                                      "fixer.md");
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    EXPECT_EQ(*r, json::parse(R"({"bottle": ["dev", "gpu"], "provider": "codex", "skills": ["git", "node"], "prompt": "Fix it.\n\nSmall diff."})"));
    auto crlf = bm::parse_agent_markdown("---\r\nbottle: dev\r\n---\r\nGo.\r\n", "fixer.md");
    ASSERT_TRUE(crlf.has_value()) << crlf.error().describe();
    EXPECT_EQ(crlf->at("bottle"), "dev");
    EXPECT_EQ(crlf->at("prompt"), "Go.");
    auto empty = bm::parse_agent_markdown("---\n---\n", "fixer.md");
    ASSERT_TRUE(empty.has_value()) << empty.error().describe();
    EXPECT_TRUE(empty->empty());
}

TEST(ManifestAgentMd, StrictLikeTheJsonLoaderWithFileAndLine) {
    EXPECT_EQ(md_error_of("---\nbottle: dev\nbotle: x\n---\n"), "fixer.md: line 3: unknown key \"botle\" (expected bottle, command, provider, skills)");
    EXPECT_EQ(md_error_of("---\nbottle: dev\nbottle: gpu\n---\n"), "fixer.md: line 3, column 1: duplicate key \"bottle\"");
    EXPECT_EQ(md_error_of("---\nbottle: &b dev\n---\n"), "fixer.md: line 2, column 9: anchors (&name) are not allowed");
    EXPECT_EQ(md_error_of("---\nskills: &s [a]\n---\n"), "fixer.md: line 2, column 9: anchors (&name) are not allowed");
    EXPECT_NE(md_error_of("---\nbottle: dev\nskills: *s\n---\n").find("line 3"), std::string::npos);
    EXPECT_NE(md_error_of("---\nbottle: !!str dev\n---\n").find("tags (tag:yaml.org,2002:str) are not allowed"), std::string::npos) << md_error_of("---\nbottle: !!str dev\n---\n");
    EXPECT_EQ(md_error_of("---\nprompt: hi\n---\n"), "fixer.md: line 2: \"prompt\" is not a front matter key: the body of the file is the prompt");
    EXPECT_EQ(md_error_of("---\nbottle: [dev, dev]\n---\n"), "fixer.md: line 2: /bottle/1: \"dev\" is listed twice");
    EXPECT_EQ(md_error_of("---\nbottle: dev\nprovider:\n---\n"), "fixer.md: line 3: /provider: expected a provider name, got null");
    EXPECT_EQ(md_error_of("---\nbottle: {a: b}\n---\n"), "fixer.md: line 2: /bottle: expected a bottle name or a list of bottle names, got an object");
    EXPECT_EQ(md_error_of("bottle: dev\n"), "fixer.md: line 1: an agent file starts with YAML front matter between two \"---\" lines");
    EXPECT_EQ(md_error_of("---\nbottle: dev\n"), "fixer.md: line 1: front matter is not closed by a \"---\" line");
    EXPECT_EQ(md_error_of("---\n- a\n---\n"), "fixer.md: line 2: front matter must be a mapping of keys (bottle, provider, skills, command)");
    EXPECT_NE(md_error_of("---\nbottle: [dev\n---\n").find("invalid YAML front matter"), std::string::npos);
    EXPECT_NE(md_error_of("---\n? [a]\n: b\n---\n").find("a key must be a plain string"), std::string::npos);
    EXPECT_EQ(md_error_of("---\nbottle: \xff\n---\n"), "fixer.md: not valid UTF-8");
    bm::limits lim;
    lim.max_json_depth = 3;
    auto deep = bm::parse_agent_markdown("---\nskills: [[[[a]]]]\n---\n", "fixer.md", lim);
    ASSERT_TRUE(failed_with(deep, errc::parse_error));
    EXPECT_NE(deep.error().message.find("limit max_json_depth (3) exceeded"), std::string::npos) << deep.error().message;
}

// The seed format: a directory with a JSON manifest, agents/fixer.md and a
// top-level reviewer.md; a gitea-keyed repo without a pinned host key.
TEST(ManifestAgentMd, ADirectoryLoadsMarkdownAgentsNamedAfterTheirFiles) {
    auto m = bm::load_manifest(bottle::test::data_dir("manifest") + "/dir_md");
    ASSERT_TRUE(m.has_value()) << m.error().describe();
    EXPECT_EQ(m->agents.size(), 3u);
    EXPECT_EQ(m->origin_of_agent("fixer"), bottle::test::data_dir("manifest") + "/dir_md/agents/fixer.md");
    EXPECT_EQ(m->origin_of_agent("reviewer"), bottle::test::data_dir("manifest") + "/dir_md/reviewer.md");
    auto providers = bm::load_providers(std::string(BOTTLE_SOURCE_DIR) + "/share/providers");
    ASSERT_TRUE(providers.has_value());
    auto fixer = bm::resolve_agent(*m, "fixer", {}, *providers);
    ASSERT_TRUE(fixer.has_value()) << fixer.error().describe();
    EXPECT_EQ(fixer->command, (std::vector<std::string>{"claude"}));
    EXPECT_EQ(fixer->prompt, "Fix the failing tests.\n\nKeep the diff small.");
    EXPECT_EQ(fixer->skills, (std::vector<std::string>{"git", "node"}));
    EXPECT_EQ(fixer->bottle.name, "dev+gpu");
    auto spec = bm::to_spec(fixer->bottle);
    ASSERT_TRUE(spec.has_value()) << spec.error().describe();
    EXPECT_EQ(spec->repos.at("app").key_provider, "gitea");
    EXPECT_EQ(spec->repos.at("app").forge_token_env, "GITEA_TOKEN");
    EXPECT_EQ(spec->repos.at("app").host_key, "");
    EXPECT_EQ(spec->repos.at("lib").key_path, "~/.ssh/lib_deploy");
    auto reviewer = bm::resolve_agent(*m, "reviewer", {}, *providers);
    ASSERT_TRUE(reviewer.has_value()) << reviewer.error().describe();
    EXPECT_EQ(reviewer->command, (std::vector<std::string>{"codex"}));
    EXPECT_EQ(reviewer->prompt, "Review the last commit.");
}

TEST(ManifestAgentMd, AnAgentDefinedTwiceNamesBothFiles) {
    auto m = bm::load_manifest(bottle::test::data_dir("manifest") + "/dir_md_dup");
    ASSERT_TRUE(failed_with(m, errc::conflict));
    EXPECT_EQ(m.error().message, "agent \"fixer\" is defined twice: in " + bottle::test::data_dir("manifest") + "/dir_md_dup/fixer.md and in " + bottle::test::data_dir("manifest") +
                                     "/dir_md_dup/agents/fixer.md");
}

}  // namespace
