#include "bottle/manifest/parse.hpp"

#include "support/test_data.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

namespace bm = bottle::manifest;
using bottle::errc;
using bottle::failed_with;


std::string error_of(std::string_view text, const bm::limits& lim = {}) {
    auto r = bm::parse_manifest(text, "dev.json", lim);
    if (r.has_value()) {
        auto c = bm::check_manifest(*r, lim);
        return c ? std::string("<ok>") : c.error().message;
    }
    return r.error().message;
}

TEST(ManifestParse, RealisticManifestLoads) {
    auto m = bm::load_manifest(bottle::test::data_dir("manifest") + "/realistic.json");
    ASSERT_TRUE(m.has_value()) << m.error().describe();
    EXPECT_EQ(m->bottles.size(), 4u);
    EXPECT_EQ(m->agents.size(), 2u);
    EXPECT_EQ(m->origin_of_bottle("dev"), bottle::test::data_dir("manifest") + "/realistic.json");
}

TEST(ManifestParse, UnknownKeyNamesFileAndPointer) {
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"egress": [{"hots": "a.com"}]}}})"),
              "dev.json: /bottles/dev/egress/0/hots: unknown key \"hots\"");
    EXPECT_EQ(error_of(R"({"bottles": {}, "agent": {}})"), "dev.json: /agent: unknown key \"agent\"");
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"git-gate": {"repos": {"app": {"key": {"provder": "x"}}}}}}})"),
              "dev.json: /bottles/dev/git-gate/repos/app/key/provder: unknown key \"provder\"");
    EXPECT_EQ(error_of(R"({"agents": {"a": {"command": ["x"], "skils": []}}})"), "dev.json: /agents/a/skils: unknown key \"skils\"");
}

TEST(ManifestParse, PointerTokensAreEscaped) {
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"env": {"A": "1"}, "a/b~c": 1}}})"), "dev.json: /bottles/dev/a~1b~0c: unknown key \"a/b~c\"");
}

TEST(ManifestParse, WrongTypesNameWhatWasExpected) {
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"supervise": "yes"}}})"), "dev.json: /bottles/dev/supervise: expected true or false, got a string");
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"env": {"A": 1}}}})"), "dev.json: /bottles/dev/env/A: expected a string, got a number");
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"egress": [{"host": "a", "ports": [0]}]}}})"),
              "dev.json: /bottles/dev/egress/0/ports/0: expected a port number 1..65535");
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"egress": [{"host": "a", "ports": [65536]}]}}})"),
              "dev.json: /bottles/dev/egress/0/ports/0: expected a port number 1..65535");
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"egress": [{"host": "a", "ports": [443.0]}]}}})"),
              "dev.json: /bottles/dev/egress/0/ports/0: expected a port number 1..65535");
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"resources": {"cpus": 0}}}})"),
              "dev.json: /bottles/dev/resources/cpus: expected a positive integer 1..2147483647");
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"mounts": [{"host": "/a", "guest": "/w", "mode": "rx"}]}}})"),
              "dev.json: /bottles/dev/mounts/0/mode: expected \"ro\" or \"rw\", got \"rx\"");
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"backend": "qemu"}}})"),
              "dev.json: /bottles/dev/backend: unknown backend \"qemu\" (expected native, docker or smolmachines)");
    EXPECT_EQ(error_of(R"({"bottles": []})"), "dev.json: /bottles: expected an object of bottles, got a list");
    EXPECT_EQ(error_of(R"([])"), "dev.json: /: expected an object {\"bottles\": ..., \"agents\": ...}, got a list");
    EXPECT_EQ(error_of(R"({"agents": {"a": {"command": []}}})"), "dev.json: /agents/a/command: must not be an empty list");
    EXPECT_EQ(error_of(R"({"agents": {"a": {"provider": 3}}})"), "dev.json: /agents/a/provider: expected a provider name, got a number");
    EXPECT_EQ(error_of(R"({"agents": {"a": {"provider": "../x"}}})"), "dev.json: /agents/a/provider: invalid provider name \"../x\"");
}

TEST(ManifestParse, ValuesAreCheckedNotOnlyTypes) {
    EXPECT_NE(error_of(R"({"bottles": {"dev": {"mounts": [{"host": "/a", "guest": "/w/../etc", "mode": "ro"}]}}})").find("clean absolute path"), std::string::npos);
    EXPECT_NE(error_of(R"({"bottles": {"dev": {"mounts": [{"host": "/a", "guest": "w", "mode": "ro"}]}}})").find("clean absolute path"), std::string::npos);
    EXPECT_NE(error_of(R"({"bottles": {"dev": {"egress": [{"host": "a.com"}, {"host": "A.com."}]}}})").find("listed twice"), std::string::npos);
    EXPECT_NE(error_of(R"({"bottles": {"dev": {"egress": [{"host": "a b"}]}}})").find("not a host name"), std::string::npos);
    EXPECT_NE(error_of(R"({"bottles": {"dev": {"egress": [{"host": "a", "ports": []}]}}})").find("omit \"ports\""), std::string::npos);
    EXPECT_NE(error_of(R"({"bottles": {"dev": {"env": {"A=B": "x"}}}})").find("invalid environment variable name"), std::string::npos);
    EXPECT_NE(error_of(R"({"bottles": {"-dev": {}}})").find("invalid bottle name"), std::string::npos);
    EXPECT_NE(error_of(R"({"bottles": {"dev": {"extends": ["a", "a"]}, "a": {}}})").find("listed twice"), std::string::npos);
}

TEST(ManifestParse, NullIsAllowedOnlyWhereItDeletes) {
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"env": {"A": null}, "resources": {"cpus": null}, "backend": null}}})"), "<ok>");
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"egress": [null]}}})"), "dev.json: /bottles/dev/egress/0: expected an object {host, ports}, got null");
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"extends": null}}})"),
              "dev.json: /bottles/dev/extends: expected a bottle name or a list of bottle names, got null");
    EXPECT_EQ(error_of(R"({"agents": {"a": {"command": ["x"], "prompt": null}}})"), "dev.json: /agents/a/prompt: expected a string, got null");
}

TEST(ManifestParse, ResolvedBottleMustBeComplete) {
    // A repo that only ever gets a url is incomplete once resolved.
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"git-gate": {"repos": {"app": {"url": "u"}}}}}})"),
              "dev.json: /bottles/dev/git-gate/repos/app: missing required key \"key\" (in the bottle resolved from dev)");
}

TEST(ManifestParse, DuplicateJsonKeysAreRejectedWithTheirPointer) {
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"env": {"A": "1", "A": "2"}}}})"), "dev.json: /bottles/dev/env: duplicate key \"A\"");
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {"egress": [{"host": "a"}, {"host": "b", "host": "c"}]}}})"),
              "dev.json: /bottles/dev/egress/1: duplicate key \"host\"");
    EXPECT_EQ(error_of(R"({"bottles": {}, "bottles": {}})"), "dev.json: /: duplicate key \"bottles\"");
}

TEST(ManifestParse, SyntaxErrorsGiveLineAndColumn) {
    auto msg = error_of("{\n  \"bottles\": {,}\n}");
    EXPECT_NE(msg.find("dev.json: line 2, column 15: invalid JSON"), std::string::npos) << msg;
    EXPECT_NE(error_of(R"({"bottles": {}} x)").find("dev.json"), std::string::npos);
    EXPECT_NE(error_of(R"({"bottles": {}, /* c */ "agents": {}})").find("invalid JSON"), std::string::npos);
}

TEST(ManifestParse, LimitsAreEnforcedAndNamed) {
    bm::limits lim;
    lim.max_file_bytes = 32;
    auto big = bm::parse_manifest(R"({"bottles": {"dev": {"supervise": true}}})", "dev.json", lim);
    ASSERT_TRUE(failed_with(big, errc::limit_exceeded));
    EXPECT_NE(big.error().message.find("max_file_bytes (32)"), std::string::npos);

    lim = {};
    lim.max_json_depth = 3;  // the document below nests 4 objects
    auto deep = bm::parse_manifest(R"({"bottles": {"dev": {"env": {"A": "1"}}}})", "dev.json", lim);
    ASSERT_TRUE(failed_with(deep, errc::limit_exceeded));
    EXPECT_NE(deep.error().message.find("max_json_depth (3)"), std::string::npos);
    EXPECT_TRUE(bm::parse_manifest(std::string(40, '[') + std::string(40, ']'), "x.json").has_error());

    lim = {};
    lim.max_bottles = 2;
    auto many = bm::parse_manifest(R"({"bottles": {"a": {}, "b": {}, "c": {}}})", "dev.json", lim);
    ASSERT_TRUE(failed_with(many, errc::limit_exceeded));
    EXPECT_NE(many.error().message.find("max_bottles (2)"), std::string::npos);

    lim = {};
    lim.max_routes = 2;
    auto routes = bm::parse_manifest(R"({"bottles": {"a": {"egress": [{"host": "a"}, {"host": "b"}, {"host": "c"}]}}})", "dev.json", lim);
    ASSERT_TRUE(failed_with(routes, errc::limit_exceeded));
    EXPECT_EQ(routes.error().message, "dev.json: /bottles/a/egress: limit max_routes (2) exceeded");

    // A union of parents can exceed the limit even when every definition is within it.
    auto m = bm::parse_manifest(R"({"bottles": {"a": {"egress": [{"host": "a"}, {"host": "b"}]},
                                                "b": {"extends": "a", "egress": [{"host": "c"}]}}})", "dev.json", lim);
    ASSERT_TRUE(m.has_value());
    auto c = bm::check_manifest(*m, lim);
    ASSERT_TRUE(failed_with(c, errc::limit_exceeded));
    EXPECT_NE(c.error().message.find("max_routes (2)"), std::string::npos);
}

TEST(ManifestParse, AgentsMustNameKnownBottles) {
    EXPECT_EQ(error_of(R"({"bottles": {"dev": {}}, "agents": {"a": {"bottle": ["dev", "gpu"], "command": ["x"]}}})"),
              "dev.json: /agents/a/bottle/1: unknown bottle \"gpu\"");
}

TEST(ManifestParse, DirectoryIsMergedInNameOrderSkippingOtherFiles) {
    auto m = bm::load_manifest(bottle::test::data_dir("manifest") + "/dir_ok");
    ASSERT_TRUE(m.has_value()) << m.error().describe();
    EXPECT_EQ(m->bottles.size(), 2u);
    EXPECT_EQ(m->origin_of_bottle("base"), bottle::test::data_dir("manifest") + "/dir_ok/10-base.json");
    EXPECT_EQ(m->origin_of_bottle("dev"), bottle::test::data_dir("manifest") + "/dir_ok/20-dev.json");
    EXPECT_EQ(m->origin_of_agent("claude"), bottle::test::data_dir("manifest") + "/dir_ok/20-dev.json");
}

TEST(ManifestParse, DuplicateDefinitionAcrossFilesNamesBothFiles) {
    auto m = bm::load_manifest(bottle::test::data_dir("manifest") + "/dir_dup");
    ASSERT_TRUE(failed_with(m, errc::conflict));
    EXPECT_EQ(m.error().message, "bottle \"dev\" is defined twice: in " + bottle::test::data_dir("manifest") + "/dir_dup/a.json and in " + bottle::test::data_dir("manifest") + "/dir_dup/b.json");
}

TEST(ManifestParse, EmptyDirectoryOrMissingFileIsAnErrorNotAnEmptyManifest) {
    EXPECT_TRUE(failed_with(bm::load_manifest(bottle::test::data_dir("manifest") + "/dir_empty"), errc::not_found));
    EXPECT_TRUE(failed_with(bm::load_manifest(bottle::test::data_dir("manifest") + "/no-such.json"), errc::not_found));
}

}  // namespace
