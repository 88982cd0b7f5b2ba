#include "bottle/manifest/provider.hpp"

#include "bottle/manifest/agent.hpp"
#include "bottle/manifest/credentials.hpp"
#include "bottle/manifest/parse.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace {

namespace bm = bottle::manifest;
using bottle::errc;
using bottle::failed_with;

const std::string repo_providers = std::string(BOTTLE_SOURCE_DIR) + "/share/providers";

bm::provider_set shipped() {
    auto set = bm::load_providers(repo_providers);
    EXPECT_TRUE(set.has_value()) << (set ? "" : set.error().describe());
    return set ? *set : bm::provider_set{};
}

TEST(ManifestProvider, TheShippedTemplatesLoadStrictly) {
    auto set = shipped();
    ASSERT_EQ(set.size(), 2u);
    const auto& claude = set.at("claude");
    EXPECT_EQ(claude.command, (std::vector<std::string>{"claude"}));
    EXPECT_EQ(claude.image, "claude");
    EXPECT_EQ(claude.egress.at(0).at("host"), "api.anthropic.com");
    EXPECT_EQ(claude.credentials.kind, bm::credential_spec::kind_t::env_token);
    EXPECT_EQ(claude.credentials.host_env, "BOT_BOTTLE_CLAUDE_OAUTH_TOKEN");
    EXPECT_EQ(claude.credentials.agent_env, "CLAUDE_CODE_OAUTH_TOKEN");
    const auto& codex = set.at("codex");
    EXPECT_EQ(codex.command, (std::vector<std::string>{"codex"}));
    EXPECT_EQ(codex.credentials.kind, bm::credential_spec::kind_t::login_file);
    std::set<std::string> hosts;
    for (const auto& e : codex.egress) hosts.insert(std::string(e.at("host").as_string()));
    EXPECT_TRUE(hosts.contains("api.openai.com"));
}

TEST(ManifestProvider, UnknownKeysWrongTypesAndMissingFieldsAreRefused) {
    const std::string ok = R"({"command": ["x"], "image": "x", "egress": [], "credentials": {"kind": "env_token", "host_env": "A", "agent_env": "B", "remedy": "r"}})";
    ASSERT_TRUE(bm::parse_provider(ok, "x", "x.json").has_value());
    auto err = [](std::string_view text) {
        auto r = bm::parse_provider(text, "x", "x.json");
        return r ? std::string("(loaded)") : r.error().message;
    };
    EXPECT_EQ(err(R"({"command": ["x"], "image": "x", "egress": [], "credentials": {"kind": "env_token", "host_env": "A", "agent_env": "B", "remedy": "r"}, "comand": 1})"),
              "x.json: /comand: unknown key \"comand\"");
    EXPECT_EQ(err(R"({"image": "x", "egress": [], "credentials": {}})"), "x.json: /: missing required key \"command\"");
    EXPECT_EQ(err(R"({"command": [""], "image": "x", "egress": [], "credentials": {}})"), "x.json: /command/0: must not be empty");
    EXPECT_EQ(err(R"({"command": ["x"], "image": "x", "egress": [{"host": "a", "port": 1}], "credentials": {}})"),
              "x.json: /egress/0/port: unknown key \"port\"");
    EXPECT_EQ(err(R"({"command": ["x"], "image": "x", "egress": [], "credentials": {"kind": "password"}})"),
              "x.json: /credentials/kind: unknown credential kind \"password\" (expected env_token or login_file)");
    EXPECT_EQ(err(R"({"command": ["x"], "image": "x", "egress": [], "credentials": {"kind": "env_token", "host_env": "A", "remedy": "r"}})"),
              "x.json: /credentials: missing required key \"agent_env\"");
    EXPECT_EQ(err(R"({"command": ["x"], "image": "x", "egress": [], "credentials": {"kind": "login_file", "opt_in_env": "O", "host_dir_env": "D",
                     "host_dir": "~/.x", "file": "a/b", "agent_path": ".x/a", "remedy": "r"}})"),
              "x.json: /credentials/file: must be a file name, not a path");
    EXPECT_EQ(err(R"({"command": ["x"], "image": "x", "egress": [], "credentials": {"kind": "login_file", "opt_in_env": "O", "host_dir_env": "D",
                     "host_dir": "~/.x", "file": "a", "agent_path": "../x", "remedy": "r"}})"),
              "x.json: /credentials/agent_path: must be a clean path relative to HOME");
    EXPECT_NE(err(R"({"command": ["x"], "command": ["y"]})").find("duplicate key"), std::string::npos);
}

TEST(ManifestProvider, DirectoriesAreSearchedLikeTheEscapeHarnessProfiles) {
    auto dirs = bm::provider_dirs(std::nullopt, "/opt/bb/bin", "/src/bb");
    ASSERT_EQ(dirs.size(), 2u);
    EXPECT_EQ(dirs[0], "/opt/bb/share/bot-bottle/providers");
    EXPECT_EQ(dirs[1], "/src/bb/share/providers");
    EXPECT_EQ(bm::provider_dirs(std::string_view("/mine"), "/opt/bb/bin", "/src/bb"), std::vector<std::filesystem::path>{"/mine"});
    EXPECT_EQ(bm::provider_dirs(std::string_view(""), "/opt/bb/bin", "").size(), 1u);  // empty override = unset
    auto only_src = [](const std::filesystem::path& p) { return p == "/src/bb/share/providers"; };
    EXPECT_EQ(bm::find_providers_dir(dirs, only_src).value(), "/src/bb/share/providers");
    auto none = bm::find_providers_dir(dirs, [](const std::filesystem::path&) { return false; });
    ASSERT_TRUE(failed_with(none, errc::not_found));
    EXPECT_NE(none.error().message.find("/opt/bb/share/bot-bottle/providers, /src/bb/share/providers"), std::string::npos);
}

TEST(ManifestProvider, ClaudeTokenIsPassedAsTheVariableClaudeCodeReads) {
    auto set = shipped();
    auto never = [](const std::string&) { return false; };
    bm::env_map env{{"BOT_BOTTLE_CLAUDE_OAUTH_TOKEN", "sk-ant-oat-123"}, {"HOME", "/home/u"}, {"AWS_SECRET", "no"}};
    auto plan = bm::plan_credentials(set.at("claude"), env, never);
    ASSERT_TRUE(plan.has_value()) << plan.error().describe();
    EXPECT_EQ(plan->env, (std::map<std::string, std::string>{{"CLAUDE_CODE_OAUTH_TOKEN", "sk-ant-oat-123"}}));
    EXPECT_TRUE(plan->files.empty());
    env.erase("BOT_BOTTLE_CLAUDE_OAUTH_TOKEN");
    auto missing = bm::plan_credentials(set.at("claude"), env, never);
    ASSERT_TRUE(failed_with(missing, errc::invalid_argument));
    EXPECT_NE(missing.error().message.find("missing credentials: BOT_BOTTLE_CLAUDE_OAUTH_TOKEN is not set"), std::string::npos);
    EXPECT_NE(missing.error().message.find("claude setup-token"), std::string::npos);
    env["BOT_BOTTLE_CLAUDE_OAUTH_TOKEN"] = "";
    EXPECT_TRUE(failed_with(bm::plan_credentials(set.at("claude"), env, never), errc::invalid_argument));
    env["BOT_BOTTLE_CLAUDE_OAUTH_TOKEN"] = "tok\nX=1";
    EXPECT_TRUE(failed_with(bm::plan_credentials(set.at("claude"), env, never), errc::invalid_argument));
}

TEST(ManifestProvider, CodexLoginIsForwardedOnlyWhenOptedIn) {
    auto set = shipped();
    const auto& codex = set.at("codex");
    std::set<std::string> files{"/home/u/.codex/auth.json", "/srv/codex/auth.json"};
    auto readable = [&](const std::string& p) { return files.contains(p); };
    bm::env_map env{{"HOME", "/home/u"}};
    auto off = bm::plan_credentials(codex, env, readable);
    ASSERT_TRUE(failed_with(off, errc::invalid_argument));
    EXPECT_NE(off.error().message.find("BOT_BOTTLE_CODEX_FORWARD_LOGIN is not 1"), std::string::npos) << off.error().message;
    EXPECT_NE(off.error().message.find("codex login --device-auth"), std::string::npos);
    env["BOT_BOTTLE_CODEX_FORWARD_LOGIN"] = "yes";
    EXPECT_TRUE(failed_with(bm::plan_credentials(codex, env, readable), errc::invalid_argument));
    env["BOT_BOTTLE_CODEX_FORWARD_LOGIN"] = "1";
    auto on = bm::plan_credentials(codex, env, readable);
    ASSERT_TRUE(on.has_value()) << on.error().describe();
    ASSERT_EQ(on->files.size(), 1u);
    EXPECT_EQ(on->files[0].host_path, "/home/u/.codex/auth.json");
    EXPECT_EQ(on->files[0].agent_path, ".codex/auth.json");
    EXPECT_TRUE(on->env.empty());
    env["CODEX_HOME"] = "/srv/codex";
    EXPECT_EQ(bm::plan_credentials(codex, env, readable)->files.at(0).host_path, "/srv/codex/auth.json");
    env["CODEX_HOME"] = "/nowhere";
    auto gone = bm::plan_credentials(codex, env, readable);
    ASSERT_TRUE(failed_with(gone, errc::not_found));
    EXPECT_NE(gone.error().message.find("cannot read /nowhere/auth.json"), std::string::npos);
    env.erase("CODEX_HOME");
    env.erase("HOME");
    EXPECT_TRUE(failed_with(bm::plan_credentials(codex, env, readable), errc::invalid_argument));
}

TEST(ManifestProvider, EnvironmentFromEnvironArray) {
    const char* envp[] = {"A=1", "B=x=y", "=bad", "NOEQ", "C=", nullptr};
    auto env = bm::environment_from(envp);
    EXPECT_EQ(env, (bm::env_map{{"A", "1"}, {"B", "x=y"}, {"C", ""}}));
}

// The seed format: agents without `command` take it from their provider.
TEST(ManifestProvider, AgentsWithoutCommandTakeItFromTheirProvider) {
    auto m = bm::parse_manifest(R"({"bottles": {"dev": {}},
      "agents": {"fixer": {"bottle": "dev", "prompt": "fix it"},
                 "coder": {"bottle": "dev", "provider": "codex"},
                 "own": {"bottle": "dev", "command": ["my-agent", "-v"]},
                 "odd": {"bottle": "dev", "provider": "gemini"}}})",
                                "seed.json");
    ASSERT_TRUE(m.has_value()) << m.error().describe();
    ASSERT_TRUE(bm::check_manifest(*m).has_value());
    auto set = shipped();
    auto fixer = bm::resolve_agent(*m, "fixer", {}, set);
    ASSERT_TRUE(fixer.has_value()) << fixer.error().describe();
    EXPECT_EQ(fixer->provider, "claude");
    EXPECT_EQ(fixer->command, (std::vector<std::string>{"claude"}));
    ASSERT_TRUE(fixer->provider_spec.has_value());
    EXPECT_EQ(fixer->provider_spec->image, "claude");
    auto coder = bm::resolve_agent(*m, "coder", {}, set);
    ASSERT_TRUE(coder.has_value());
    EXPECT_EQ(coder->command, (std::vector<std::string>{"codex"}));
    auto own = bm::resolve_agent(*m, "own", {}, set);
    ASSERT_TRUE(own.has_value());
    EXPECT_EQ(own->command, (std::vector<std::string>{"my-agent", "-v"}));
    EXPECT_EQ(own->provider, "claude");
    // Without templates: an agent with its own command still resolves; one without is a clear error.
    EXPECT_TRUE(bm::resolve_agent(*m, "own").has_value());
    auto none = bm::resolve_agent(*m, "fixer");
    ASSERT_TRUE(failed_with(none, errc::not_found));
    EXPECT_EQ(none.error().message, "seed.json: /agents/fixer: no provider template \"claude\" to take the command from (templates: none loaded)");
    auto odd = bm::resolve_agent(*m, "odd", {}, set);
    ASSERT_TRUE(failed_with(odd, errc::not_found));
    EXPECT_NE(odd.error().message.find("(templates: claude, codex)"), std::string::npos) << odd.error().message;
}

}  // namespace
