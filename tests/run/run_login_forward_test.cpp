// A provider's login file (codex's opt-in device-auth login) forwarded into
// the bottle: read from a fake host HOME, copied into the agent's fresh HOME
// (0600), never shown by --dry-run, never written back to the host.
#include "bottle-run/egress_routes.hpp"
#include "bottle-run/provider_setup.hpp"

#include "support/temp_dir.hpp"

#include "bottle_run_process.hpp"

#include "bottle/manifest/provider.hpp"
#include "bottle/os/spawn.hpp"

#include <boost/json/serialize.hpp>

#include "support/text.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace {

namespace fs = std::filesystem;
using bottle::test_support::temp_dir;

constexpr const char* login = R"({"tokens":{"access_token":"at-5e1f0c-never-printed"}})";

using bottle::test_support::slurp;

struct fake_host {
    temp_dir dir{"bottle-run-login"};
    fs::path home = dir.path() / "home";
    fs::path providers = dir.path() / "providers";
    fs::path manifest = dir.path() / "m.json";
    fake_host() {
        fs::create_directories(home / ".codex");
        std::ofstream(home / ".codex" / "auth.json") << login;
        fs::create_directories(providers);
        // codex's credentials, without its routes (no proxy needed here).
        std::ofstream(providers / "login.json") << R"({"command": ["true"], "image": "x", "egress": [],
            "credentials": {"kind": "login_file", "opt_in_env": "BOT_BOTTLE_CODEX_FORWARD_LOGIN", "host_dir_env": "CODEX_HOME",
                            "host_dir": "~/.codex", "file": "auth.json", "agent_path": ".codex/auth.json",
                            "remedy": "log in with codex login --device-auth"}})";
        std::ofstream(manifest) << R"({"bottles": {"plain": {}}, "agents": {"coder": {"bottle": "plain", "provider": "login", "command": ["sh", "-c",
            "cat $HOME/.codex/auth.json; echo; stat -c '%a %u' $HOME/.codex/auth.json; echo changed >> $HOME/.codex/auth.json"]}}})";
    }
    std::vector<std::string> env(bool opt_in) const {
        std::vector<std::string> e{"PATH=/usr/bin:/bin", "HOME=" + home.string(), "BOT_BOTTLE_PROVIDERS=" + providers.string(),
                                   "XDG_RUNTIME_DIR=" + (dir.path() / "run").string()};
        if (opt_in) e.emplace_back("BOT_BOTTLE_CODEX_FORWARD_LOGIN=1");
        return e;
    }
};

TEST(LoginForward, PrepareReadsTheHostLoginOnlyWhenOptedIn) {
    fake_host h;
    auto providers = bottle::manifest::load_providers(h.providers);
    ASSERT_TRUE(providers) << providers.error().message;
    const auto& p = providers->at("login");
    std::map<std::string, std::string> env{{"HOME", h.home.string()}};
    auto off = bottle::run::prepare_provider(p, env);
    ASSERT_FALSE(off);
    EXPECT_NE(off.error().message.find("forwarding the host login is off"), std::string::npos) << off.error().message;
    env["BOT_BOTTLE_CODEX_FORWARD_LOGIN"] = "1";
    auto on = bottle::run::prepare_provider(p, env);
    ASSERT_TRUE(on) << on.error().message;
    ASSERT_EQ(on->credential_files.count(".codex/auth.json"), 1u);
    EXPECT_EQ(on->credential_files.at(".codex/auth.json"), login);
    const auto j = boost::json::serialize(bottle::run::provider_json(*on));
    EXPECT_EQ(j.find("at-5e1f0c"), std::string::npos) << "names only: " << j;
    EXPECT_NE(j.find(".codex/auth.json"), std::string::npos) << j;
    // CODEX_HOME wins over HOME; a missing file is an error before anything starts.
    env["CODEX_HOME"] = (h.dir.path() / "elsewhere").string();
    EXPECT_TRUE(bottle::failed_with(bottle::run::prepare_provider(p, env), bottle::errc::not_found));
}

class LoginForwardLaunch : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(bottle::test_support::bottle_run_binary)) GTEST_SKIP() << "build bottle-run first";
        bottle::os::spawn_request r;
        r.argv = {"unshare", "-U", "true"};
        auto out = bottle::os::spawn(r);
        if (!out || !out->succeeded()) GTEST_SKIP() << "user namespaces are not available";
    }
};

TEST_F(LoginForwardLaunch, TheAgentGetsAPrivateCopyAndTheHostFileStays) {
    fake_host h;
    auto r = bottle::test_support::run_bottle_run({"--manifest", h.manifest.string(), "agent", "coder"}, h.env(true));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.find(login), 0u) << r.out;
    EXPECT_NE(r.out.find("\n600 "), std::string::npos) << "0600 in the agent's HOME: " << r.out;
    EXPECT_EQ(slurp(h.home / ".codex" / "auth.json"), login) << "the agent changed its copy, never the host's";
    EXPECT_EQ(r.err.find("at-5e1f0c"), std::string::npos) << r.err;
}

TEST_F(LoginForwardLaunch, DryRunNamesTheFileNotItsContentAndOptOutStartsNothing) {
    fake_host h;
    auto dry = bottle::test_support::run_bottle_run({"--manifest", h.manifest.string(), "--dry-run", "agent", "coder"}, h.env(true));
    ASSERT_EQ(dry.code, 0) << dry.err;
    EXPECT_EQ(dry.out.find("at-5e1f0c"), std::string::npos) << dry.out;
    EXPECT_NE(dry.out.find("\"credential_files\":[\"/home/agent/.codex/auth.json\"]"), std::string::npos) << dry.out;
    auto off = bottle::test_support::run_bottle_run({"--manifest", h.manifest.string(), "agent", "coder"}, h.env(false));
    EXPECT_EQ(off.code, 125);
    EXPECT_NE(off.err.find("BOT_BOTTLE_CODEX_FORWARD_LOGIN"), std::string::npos) << off.err;
    EXPECT_FALSE(fs::exists(h.dir.path() / "run" / "bot-bottle")) << "nothing was started, not even a record";
    // The smolmachines backend does not forward logins: refused, never dropped.
    auto vm = bottle::test_support::run_bottle_run({"--manifest", h.manifest.string(), "--backend", "smolmachines", "agent", "coder"},
                                                   h.env(true));
    EXPECT_EQ(vm.code, 125);
    EXPECT_NE(vm.err.find("native and docker backends only"), std::string::npos) << vm.err;
}

// A template's "tls": false route survives into the launch: the bottle gets
// it as a tunnel route, and the plan's provider JSON shows it.
TEST(ProviderSetup, TemplateTlsFalseRouteStaysATunnel) {
    auto p = bottle::manifest::parse_provider(R"({"command": ["git"], "image": "x",
        "egress": [{"host": "git.example.com", "ports": [22], "tls": false}, {"host": "api.example.com"}],
        "credentials": {"kind": "env_token", "host_env": "GIT_TOKEN", "agent_env": "GIT_TOKEN", "remedy": "set GIT_TOKEN"}})",
                                              "git", "git.json");
    ASSERT_TRUE(p) << p.error().message;
    auto launch = bottle::run::prepare_provider(*p, {{"GIT_TOKEN", "t"}});
    ASSERT_TRUE(launch) << launch.error().message;
    ASSERT_EQ(launch->egress.size(), 2u);
    EXPECT_FALSE(launch->egress[0].tls);
    EXPECT_TRUE(launch->egress[1].tls);
    const auto j = boost::json::serialize(bottle::run::provider_json(*launch));
    EXPECT_NE(j.find(R"({"host":"git.example.com","ports":[22],"tls":false})"), std::string::npos) << j;
    EXPECT_NE(j.find(R"({"host":"api.example.com"})"), std::string::npos) << j;
    bottle::manifest::bottle_spec bottle;
    bottle::run::add_provider(bottle, *launch);
    const auto routes = bottle::run::egress_routes_of(bottle.egress);
    EXPECT_EQ(routes.tunnels, (std::vector<std::string>{"git.example.com:22"}));
    EXPECT_EQ(routes.allow, (std::vector<std::string>{"api.example.com"}));
    EXPECT_EQ(routes.arguments(), (std::vector<std::string>{"--allow", "api.example.com", "--allow-tunnel", "git.example.com:22"}));
}

}  // namespace
