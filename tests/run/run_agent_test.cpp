// `bottle-run agent NAME` with provider templates: the template's command,
// routes and credentials, the backend choice, and that a credential's value
// reaches the agent and nothing else (never the dry-run, never stderr).
#include "support/temp_dir.hpp"

#include "bottle_run_process.hpp"

#include "bottle/os/spawn.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using bottle::test_support::temp_dir;

using bottle::test_support::bottle_run_binary;
using bottle::test_support::bottle_run_probe_binary;
constexpr const char* token = "tok-7f3a9c-never-printed";

using run_result = bottle::test_support::bottle_run_result;
using bottle::test_support::has_line;

run_result run_agent_cli(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> env{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "LANG=C.UTF-8"};
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    return bottle::test_support::run_bottle_run(args, std::move(env));
}


using bottle::test_support::userns_works;

class RunAgent : public ::testing::Test {
protected:
    temp_dir cfg{"bottle-run-agent"};
    fs::path manifest = cfg.path() / "m.json";

    void SetUp() override {
        if (!fs::exists(bottle_run_binary)) GTEST_SKIP() << "build bottle-run first";
        // `coder` has no command: it takes the provider's (claude by default).
        std::ofstream(manifest) << R"({"bottles": {"dev": {"egress": [{"host": "example.org"}]},
                                                  "other": {"backend": "docker"}},
                                       "agents": {"coder": {"bottle": "dev"},
                                                  "tester": {"bottle": "dev", "provider": "probe"}}})";
    }

    /// A template directory holding one provider "probe" running the bottle
    /// probe with `attempts`, its token from TEST_HOST_TOKEN as AGENT_TOKEN.
    fs::path probe_provider(const std::string& attempts) {
        const auto dir = cfg.path() / "providers";
        fs::create_directories(dir);
        std::ofstream(dir / "probe.json") << R"({"command": ["/workspace/probe", )" << attempts << R"(], "image": "probe",
            "egress": [], "env": {"FROM_TEMPLATE": "yes"},
            "credentials": {"kind": "env_token", "host_env": "TEST_HOST_TOKEN", "agent_env": "AGENT_TOKEN",
                            "remedy": "export TEST_HOST_TOKEN"}})";
        return dir;
    }
};

TEST_F(RunAgent, DryRunOfAnAgentWithoutCommandShowsItsProviderRoutesAndCredentialNames) {
    auto r = run_agent_cli({"--manifest", manifest.string(), "agent", "coder", "--dry-run"}, {std::string("BOT_BOTTLE_CLAUDE_OAUTH_TOKEN=") + token});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.find(token), std::string::npos) << "the token's value is never printed";
    EXPECT_EQ(r.err.find(token), std::string::npos);
    auto plan = json::parse(r.out).as_object();
    EXPECT_EQ(plan.at("argv"), json::parse(R"(["claude"])")) << "the command comes from the template";
    const auto& p = plan.at("provider").as_object();
    EXPECT_EQ(p.at("name"), "claude");
    EXPECT_EQ(p.at("egress"), json::parse(R"([{"host": "api.anthropic.com", "ports": [443]}])"));
    EXPECT_EQ(p.at("credential_env"), json::parse(R"(["CLAUDE_CODE_OAUTH_TOKEN"])"));
    EXPECT_EQ(plan.at("credential_env"), json::parse(R"(["CLAUDE_CODE_OAUTH_TOKEN"])"));
    EXPECT_EQ(plan.at("egress"), json::parse(R"(["example.org", "api.anthropic.com:443"])")) << "bottle-egress gets both";
    const auto& resolved = plan.at("bottle").as_object().at("resolved").as_object();
    EXPECT_EQ(resolved.at("egress").as_array().size(), 1u) << "the provider's routes stay apart from the bottle";
    for (const auto& e : plan.at("env").as_array())
        EXPECT_NE(std::string(e.as_string()).rfind("CLAUDE_CODE_OAUTH_TOKEN=", 0), 0u) << "credentials are not in env";
}

TEST_F(RunAgent, WithoutTemplatesAnAgentWithoutCommandIsAClearError) {
    const auto empty = cfg.path() / "none";
    fs::create_directories(empty);
    auto r = run_agent_cli({"--manifest", manifest.string(), "agent", "coder", "--dry-run"},
                 {"BOT_BOTTLE_PROVIDERS=" + empty.string(), std::string("BOT_BOTTLE_CLAUDE_OAUTH_TOKEN=") + token});
    EXPECT_EQ(r.code, 125);
    EXPECT_NE(r.err.find("no *.json provider templates"), std::string::npos) << r.err;
}

TEST_F(RunAgent, MissingCredentialsAreRefusedBeforeAnythingStarts) {
    temp_dir ws{"bottle-run-agent-ws"};
    const auto dir = probe_provider(R"("write:/workspace/started")");
    fs::copy_file(bottle_run_probe_binary, ws.path() / "probe");
    temp_dir runtime{"bottle-run-agent-state"};
    auto r = run_agent_cli({"--manifest", manifest.string(), "agent", "tester", "--workspace", ws.path().string()},
                 {"BOT_BOTTLE_PROVIDERS=" + dir.string(), "XDG_RUNTIME_DIR=" + runtime.path().string()});
    EXPECT_EQ(r.code, 125);
    EXPECT_NE(r.err.find("missing credentials: TEST_HOST_TOKEN is not set"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("export TEST_HOST_TOKEN"), std::string::npos) << "the remedy is given: " << r.err;
    EXPECT_FALSE(fs::exists(ws.path() / "started")) << "the agent never ran";
    EXPECT_FALSE(fs::exists(runtime.path() / "bot-bottle")) << "no bottle state was made";
    // The default provider too, in a dry-run.
    r = run_agent_cli({"--manifest", manifest.string(), "agent", "coder", "--dry-run"});
    EXPECT_EQ(r.code, 125);
    EXPECT_NE(r.err.find("BOT_BOTTLE_CLAUDE_OAUTH_TOKEN is not set"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("claude setup-token"), std::string::npos) << r.err;
}

TEST_F(RunAgent, BackendGoesThroughTheChoice) {
    const std::string tok = std::string("BOT_BOTTLE_CLAUDE_OAUTH_TOKEN=") + token;
    // The docker backend is chosen: without --image the agent's image comes
    // from its provider's recipe (a dry run with no daemon names it; the plan
    // needs the static sidecar proxy, which sanitizer builds lack).
    auto r = run_agent_cli({"--manifest", manifest.string(), "agent", "coder", "--dry-run"},
                           {tok, "BOT_BOTTLE_BACKEND=docker", "DOCKER_HOST=unix:///nonexistent/docker.sock"});
    if (r.code == 0) {
        EXPECT_NE(r.out.find(R"("backend":"docker")"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("built at launch from provider claude's image recipe claude"), std::string::npos) << r.out;
    } else {
        EXPECT_EQ(r.code, 125);
        EXPECT_NE(r.err.find("docker: sidecar image"), std::string::npos) << r.err;
    }
    r = run_agent_cli({"--manifest", manifest.string(), "--backend", "native", "agent", "coder", "--dry-run"}, {tok, "BOT_BOTTLE_BACKEND=docker"});
    EXPECT_EQ(r.code, 0) << "the flag wins over the variable: " << r.err;
    r = run_agent_cli({"--manifest", manifest.string(), "--bottle", "other", "--dry-run", "--", "true"});
    EXPECT_EQ(r.code, 125);
    EXPECT_NE(r.err.find("docker: image"), std::string::npos) << "the bottle's own backend: " << r.err;
    r = run_agent_cli({"--manifest", manifest.string(), "--bottle", "other", "--backend", "native", "--dry-run", "--", "true"});
    EXPECT_EQ(r.code, 0) << "--backend native overrides the bottle's: " << r.err;
    r = run_agent_cli({"--backend", "vm", "--dry-run", "--", "true"});
    EXPECT_EQ(r.code, 125);
    EXPECT_NE(r.err.find("unknown backend \"vm\""), std::string::npos) << r.err;
}

TEST_F(RunAgent, TheCredentialReachesTheAgentAndNothingElseOfTheHost) {
    if (!fs::exists(bottle_run_probe_binary)) GTEST_SKIP() << "build bottle-run-probe first";
    if (!userns_works()) GTEST_SKIP() << "user namespaces are not available";
    temp_dir ws{"bottle-run-agent-ws"};
    fs::copy_file(bottle_run_probe_binary, ws.path() / "probe");
    if (::geteuid() == 0) {  // the agent takes the workspace owner's uid
        fs::permissions(ws.path(), fs::perms::owner_all);
        (void)::chown(ws.path().c_str(), 65534, 65534);
        (void)::chown((ws.path() / "probe").c_str(), 65534, 65534);
    }
    const auto dir = probe_provider(R"("env")");
    auto r = run_agent_cli({"--manifest", manifest.string(), "agent", "tester", "--workspace", ws.path().string()},
                 {"BOT_BOTTLE_PROVIDERS=" + dir.string(), std::string("TEST_HOST_TOKEN=") + token, "OTHER_SECRET=host-only"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has_line(r.out, std::string("env AGENT_TOKEN=") + token)) << r.out;
    EXPECT_TRUE(has_line(r.out, "env FROM_TEMPLATE=yes")) << r.out;
    EXPECT_EQ(r.out.find("TEST_HOST_TOKEN"), std::string::npos) << "the host's variable itself is not passed: " << r.out;
    EXPECT_EQ(r.out.find("host-only"), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find(token), std::string::npos) << "never in bottle-run's own output: " << r.err;
}

}  // namespace
