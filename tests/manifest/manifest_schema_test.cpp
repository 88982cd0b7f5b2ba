#include "bottle/manifest/schema.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace {

namespace bm = bottle::manifest;
namespace json = boost::json;
using bottle::errc;
using bottle::failed_with;

std::string check(std::string_view text, bm::bottle_form form) {
    auto r = bm::validate_bottle(json::parse(text), "f.json", "/bottles/b", form);
    return r ? "<ok>" : r.error().message;
}

TEST(ManifestSchema, FullBottleIsValidInBothForms) {
    constexpr std::string_view full = R"({
      "egress": [{"host": "api.anthropic.com", "ports": [443]}, {"host": "*.githubusercontent.com"}],
      "env": {"LANG": "C.UTF-8", "EMPTY": ""},
      "mounts": [{"host": "~/src/app", "guest": "/workspace", "mode": "rw"}, {"host": "/", "guest": "/", "mode": "ro"}],
      "resources": {"cpus": 2, "memory_mib": 4096, "pids": 512},
      "git-gate": {"repos": {"app": {"url": "ssh://git@github.com/me/app.git", "key": {"provider": "static", "path": "~/.ssh/k"}, "host_key": "ssh-ed25519 AAAA"}}},
      "supervise": true, "backend": "smolmachines"})";
    EXPECT_EQ(check(full, bm::bottle_form::raw), "<ok>");
    EXPECT_EQ(check(full, bm::bottle_form::resolved), "<ok>");
}

TEST(ManifestSchema, ResolvedFormRejectsNullsAndExtends) {
    EXPECT_EQ(check(R"({"env": {"A": null}})", bm::bottle_form::raw), "<ok>");
    EXPECT_EQ(check(R"({"env": {"A": null}})", bm::bottle_form::resolved), "f.json: /bottles/b/env/A: expected a string, got null");
    EXPECT_EQ(check(R"({"backend": null})", bm::bottle_form::resolved), "f.json: /bottles/b/backend: expected a backend name, got null");
    EXPECT_EQ(check(R"({"extends": "x"})", bm::bottle_form::resolved), "f.json: /bottles/b/extends: a resolved bottle has no \"extends\"");
}

TEST(ManifestSchema, RepoFieldsAreOptionalRawButRequiredResolved) {
    constexpr std::string_view partial = R"({"git-gate": {"repos": {"app": {"key": {"path": "p"}}}}})";
    EXPECT_EQ(check(partial, bm::bottle_form::raw), "<ok>");
    EXPECT_EQ(check(partial, bm::bottle_form::resolved), "f.json: /bottles/b/git-gate/repos/app/key: missing required key \"provider\"");
    EXPECT_EQ(check(R"({"git-gate": {"repos": {"app": {"key": {"provider": "static", "path": "p"}, "host_key": "k"}}}})", bm::bottle_form::resolved),
              "f.json: /bottles/b/git-gate/repos/app: missing required key \"url\"");
}

TEST(ManifestSchema, GitGateKeyProvidersStaticAndGiteaAndAnOptionalHostKey) {
    const auto resolved = bm::bottle_form::resolved;
    EXPECT_EQ(check(R"({"git-gate": {"repos": {"app": {"url": "u", "key": {"provider": "static", "path": "~/.ssh/k"}}}}})", resolved), "<ok>");
    EXPECT_EQ(check(R"({"git-gate": {"repos": {"app": {"url": "u", "key": {"provider": "gitea", "forge_token_env": "GITEA_TOKEN"}, "host_key": "k"}}}})", resolved),
              "<ok>");
    EXPECT_EQ(check(R"({"git-gate": {"repos": {"app": {"url": "u", "key": {"provider": "gitea"}}}}})", resolved),
              "f.json: /bottles/b/git-gate/repos/app/key: missing required key \"forge_token_env\" (key provider gitea)");
    EXPECT_EQ(check(R"({"git-gate": {"repos": {"app": {"url": "u", "key": {"provider": "static"}}}}})", resolved),
              "f.json: /bottles/b/git-gate/repos/app/key: missing required key \"path\" (key provider static)");
    EXPECT_EQ(check(R"({"git-gate": {"repos": {"app": {"url": "u", "key": {"provider": "gitea", "forge_token_env": "T", "path": "p"}}}}})", resolved),
              "f.json: /bottles/b/git-gate/repos/app/key/path: not used by key provider gitea; set it to null where the provider changes");
    EXPECT_EQ(check(R"({"git-gate": {"repos": {"app": {"key": {"provider": "vault"}}}}})", bm::bottle_form::raw),
              "f.json: /bottles/b/git-gate/repos/app/key/provider: unknown git-gate key provider \"vault\" (expected static or gitea)");
    EXPECT_EQ(check(R"({"git-gate": {"repos": {"app": {"key": {"forge_token_env": "A=B"}}}}})", bm::bottle_form::raw),
              "f.json: /bottles/b/git-gate/repos/app/key/forge_token_env: invalid environment variable name");
    EXPECT_EQ(check(R"({"git-gate": {"repos": {"app": {"key": {"token": "x"}}}}})", bm::bottle_form::raw),
              "f.json: /bottles/b/git-gate/repos/app/key/token: unknown key \"token\"");
}

TEST(ManifestSchema, RequiredEntryFieldsAndDuplicates) {
    EXPECT_EQ(check(R"({"egress": [{"ports": [1]}]})", bm::bottle_form::raw), "f.json: /bottles/b/egress/0: missing required key \"host\"");
    EXPECT_EQ(check(R"({"egress": [{"host": "a", "ports": [1, 2, 1]}]})", bm::bottle_form::raw),
              "f.json: /bottles/b/egress/0/ports/2: port 1 is listed twice");
    EXPECT_EQ(check(R"({"mounts": [{"host": "/a", "guest": "/w"}]})", bm::bottle_form::raw), "f.json: /bottles/b/mounts/0: missing required key \"mode\"");
    EXPECT_EQ(check(R"({"mounts": [{"host": "/a", "guest": "/w", "mode": "ro"}, {"host": "/b", "guest": "/w", "mode": "ro"}]})", bm::bottle_form::raw),
              "f.json: /bottles/b/mounts/1/guest: guest path \"/w\" is mounted twice");
    EXPECT_EQ(check(R"({"mounts": [{"host": "/a", "guest": "/w/", "mode": "ro"}]})", bm::bottle_form::raw),
              "f.json: /bottles/b/mounts/0/guest: \"/w/\" is not a clean absolute path (no //, ., .. or trailing /)");
    EXPECT_EQ(check(R"({"mounts": [{"host": "", "guest": "/w", "mode": "ro"}]})", bm::bottle_form::raw), "f.json: /bottles/b/mounts/0/host: must not be empty");
}

TEST(ManifestSchema, LimitsAreCheckedAndNamed) {
    bm::limits lim;
    lim.max_ports = 2;
    auto r = bm::validate_bottle(json::parse(R"({"egress": [{"host": "a", "ports": [1, 2, 3]}]})"), "f.json", "/bottles/b", bm::bottle_form::raw, lim);
    ASSERT_TRUE(failed_with(r, errc::limit_exceeded));
    EXPECT_EQ(r.error().message, "f.json: /bottles/b/egress/0/ports: limit max_ports (2) exceeded");
    lim = {};
    lim.max_env = 1;
    EXPECT_TRUE(failed_with(bm::validate_bottle(json::parse(R"({"env": {"A": "1", "B": "2"}})"), "f.json", "/b", bm::bottle_form::raw, lim),
                            errc::limit_exceeded));
}

TEST(ManifestSchema, Agents) {
    auto agent = [](std::string_view text) {
        auto r = bm::validate_agent(json::parse(text), "f.json", "/agents/a");
        return r ? std::string("<ok>") : r.error().message;
    };
    EXPECT_EQ(agent(R"({"bottle": ["dev", "gpu"], "command": ["claude", "-v", "-v"], "prompt": "", "skills": ["a", "b"]})"), "<ok>");
    EXPECT_EQ(agent(R"({"command": [""]})"), "f.json: /agents/a/command/0: must not be empty");
    EXPECT_EQ(agent(R"({"command": ["x", 1]})"), "f.json: /agents/a/command/1: expected a string, got a number");
    EXPECT_EQ(agent(R"({"command": ["x"], "bottle": []})"), "f.json: /agents/a/bottle: must not be an empty list");
    EXPECT_EQ(agent(R"({"command": ["x"], "skills": ["a", "a"]})"), "f.json: /agents/a/skills/1: \"a\" is listed twice");
    EXPECT_EQ(agent(R"("claude")"), "f.json: /agents/a: expected an agent object, got a string");
}

}  // namespace
