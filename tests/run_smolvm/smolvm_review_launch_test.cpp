// End-to-end checks from the security review of the smolmachines backend,
// against the fake smolvm: records that would widen egress despite a
// matching allowlist, a signal during a hung `machine create`, the
// provider's secret kept out of smolvm's environment, and two launches on
// one workspace sharing the protected directories.
#include "smolvm_fixture.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

using bottle::test_support::smolvm_launch;

namespace {

#define SKIP_UNLESS_RUNNABLE()                                      \
    do {                                                            \
        if (auto why = smolvm_launch::missing(); !why.empty())      \
            GTEST_SKIP() << "not runnable here: " << why;           \
    } while (0)

/// SIGNAL to this launch's bottle-run once `ready()` holds.
void signal_launcher_when(smolvm_launch& l, int sig, const std::function<bool()>& ready) {
    for (int i = 0; i < 400 && !ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (const auto& p : std::filesystem::directory_iterator("/proc")) {
        auto cmd = bottle::os::read_file(p.path().string() + "/cmdline", 1 << 16);
        if (cmd && cmd->rfind(BOTTLE_BINARY_DIR "/tools/bottle-run/bottle-run", 0) == 0 && cmd->find(l.root) != std::string::npos)
            ::kill(std::stoi(p.path().filename().string()), sig);
    }
}

}  // namespace

class SmolvmRecordFault : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(SmolvmRecordFault, MatchingAllowlistIsNotEnough) {
    SKIP_UNLESS_RUNNABLE();
    smolvm_launch l;
    l.env["FAKE_SMOLVM_FAULT"] = GetParam().first;
    auto r = l.run({"/usr/bin/touch", l.root + "/ws/agent-ran"});
    EXPECT_EQ(r.exit_code, 125) << r.err;
    EXPECT_NE(r.err.find(GetParam().second), std::string::npos) << r.err;
    EXPECT_FALSE(l.started()) << l.log();
    EXPECT_FALSE(std::filesystem::exists(l.root + "/ws/agent-ran"));
    l.expect_clean();
}

INSTANTIATE_TEST_SUITE_P(Faults, SmolvmRecordFault,
                         ::testing::Values(std::pair<const char*, const char*>{"dns_hosts", "dns_filter_hosts [evil.test]"},
                                           std::pair<const char*, const char*>{"tsi", "network backend 'tsi'"},
                                           std::pair<const char*, const char*>{"autostart", "already running"}));

TEST(SmolvmReviewLaunch, SigtermDuringAHungCreateTearsDownAtOnce) {
    SKIP_UNLESS_RUNNABLE();
    smolvm_launch l;
    l.env["FAKE_SMOLVM_FAULT"] = "hang_create";
    l.env["BOTTLE_SMOLVM_STEP_TIMEOUT_S"] = "120";  // the deadline must not be what ends it
    std::thread killer([&] {
        signal_launcher_when(l, SIGTERM, [&] {
            for (const auto& p : smolvm_launch::processes_with("machine create"))
                if (p.find(l.root) != std::string::npos) return true;
            return false;
        });
    });
    const auto t0 = std::chrono::steady_clock::now();
    auto r = l.run({"/usr/bin/touch", l.root + "/ws/agent-ran"}, std::chrono::seconds(90));
    killer.join();
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
    EXPECT_NE(r.err.find("interrupted by signal 15"), std::string::npos) << r.err;
    EXPECT_LT(took, std::chrono::seconds(40)) << "the launcher waited for the step's deadline";
    EXPECT_FALSE(l.started());
    EXPECT_TRUE(smolvm_launch::processes_with("machine create").empty() ||
                smolvm_launch::processes_with(l.root).empty())
        << "the hung create outlived the launcher";
    l.expect_clean();
}

TEST(SmolvmReviewLaunch, TheProvidersSecretNeverReachesSmolvmsEnvironment) {
    SKIP_UNLESS_RUNNABLE();
    smolvm_launch l;
    const std::string token = "tok-smolvm-review-5d1e";
    std::filesystem::create_directories(l.root + "/providers");
    std::ofstream(l.root + "/providers/probe.json")
        << R"({"command": ["/bin/true"], "image": "probe", "egress": [], "env": {},
               "credentials": {"kind": "env_token", "host_env": "TEST_HOST_TOKEN", "agent_env": "AGENT_TOKEN",
                               "remedy": "export TEST_HOST_TOKEN"}})";
    std::ofstream(l.root + "/manifest.json")
        << R"({"bottles": {"vm": {"egress": [{"host": "allowed.test", "ports": [80]}]}},
               "agents": {"tok": {"bottle": "vm", "provider": "probe"}}})";
    std::ofstream(l.root + "/secret") << token;
    l.env["BOT_BOTTLE_PROVIDERS"] = l.root + "/providers";
    l.env["TEST_HOST_TOKEN"] = token;
    l.env["FAKE_SMOLVM_SECRET_FILE"] = l.root + "/secret";
    l.args = {"--manifest", l.root + "/manifest.json", "agent", "tok", "--backend", "smolmachines", "--workspace", l.root + "/ws"};
    auto r = l.run({});
    const std::string log = l.log();
    ASSERT_NE(log.find("\"cmd\": \"exec\""), std::string::npos) << "the launch did not reach exec: " << r.err << log;
    EXPECT_EQ(log.find("\"env_has_secret\": true"), std::string::npos) << "smolvm got the secret in its environment: " << log;
    EXPECT_NE(log.find("\"env_has_secret\": false"), std::string::npos) << log;
    EXPECT_EQ(log.find(token), std::string::npos) << "the secret on a smolvm command line: " << log;
    EXPECT_EQ(r.err.find(token), std::string::npos) << r.err;
    l.expect_clean();
}

TEST(SmolvmReviewLaunch, ASecondLaunchOnTheWorkspaceKeepsTheProtectedDirsAlive) {
    SKIP_UNLESS_RUNNABLE();
    smolvm_launch l;
    // A creates the protected directories; B, on the same workspace, starts
    // while A runs and shares them; A ends first. They must still be there
    // for B (A removing them would detach B's read-only share or mount).
    std::string args;
    for (const auto& a : l.args) args += " '" + a + "'";
    const std::string bin = "'" BOTTLE_BINARY_DIR "/tools/bottle-run/bottle-run'";
    const std::string wait_for = "for i in $(seq 300); do [ -e " + l.root + "/%s ] && break; sleep 0.1; done";
    auto waiting = [&](const std::string& file) {
        std::string w = wait_for;
        return w.replace(w.find("%s"), 2, file);
    };
    const std::string a = bin + args + " /usr/bin/bash -c '" + waiting("b-running") + "'";
    const std::string b = bin + args + " /usr/bin/bash -c 'touch " + l.root + "/b-running; " + waiting("a-done") + "; [ -d " + l.root +
                          "/ws/.git ] && [ -d " + l.root + "/ws/.github/workflows ] && echo kept-protected'";
    const std::string wait_a_exec = "for i in $(seq 300); do grep -q '\"cmd\": \"exec\"' " + l.root + "/fake.log 2>/dev/null && break; sleep 0.1; done";
    bottle::os::spawn_request r;
    r.argv = {"/usr/bin/unshare", "--net", "--", "/bin/sh", "-c",
              "ip link set lo up && { (" + a + " > " + l.root + "/a.out 2>&1; touch " + l.root + "/a-done) & " + wait_a_exec + "; " + b +
                  " > " + l.root + "/b.out 2>&1; wait; }"};
    r.env = l.env_list();
    r.timeout = std::chrono::seconds(90);
    auto out = bottle::os::spawn(r);
    ASSERT_TRUE(out && out->succeeded()) << (out ? out->err : out.error().message);
    const auto a_out = bottle::os::read_file(l.root + "/a.out", 1 << 16), b_out = bottle::os::read_file(l.root + "/b.out", 1 << 16);
    ASSERT_TRUE(a_out && b_out);
    EXPECT_NE(b_out->find("kept-protected"), std::string::npos) << "A removed what B still shares.\nA: " << *a_out << "\nB: " << *b_out;
    // Neither removes them now: A was not alone, B did not make them.
    EXPECT_TRUE(std::filesystem::is_directory(l.root + "/ws/.git"));
    l.expect_clean();
}

TEST(SmolvmReviewLaunch, TheBundleGetsNoneOfTheLaunchersEnvironment) {
    SKIP_UNLESS_RUNNABLE();
    smolvm_launch l;
    // bottle-egress parses what the agent sends; a secret of the user's
    // environment must not sit in its memory. (The fake's "VM" is a host
    // process, so the agent can read the bundle's environ here.)
    l.env["HOST_ONLY_SECRET"] = "hs-9b2c";
    auto r = l.run({"/usr/bin/bash", "-c",
                    "for p in /proc/[0-9]*; do [ \"$(tr '\\0' '\\n' < $p/cmdline 2>/dev/null | head -1)\" = " BOTTLE_BINARY_DIR "/tools/bottle-egress/bottle-egress ] || continue; "
                    "grep -q " + l.root + " $p/cmdline 2>/dev/null || continue; echo found-bundle; "
                    "tr '\\0' '\\n' < $p/environ | grep -q hs-9b2c && echo LEAKED; done; true"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("found-bundle"), std::string::npos) << "the bundle was not found: " << r.out;
    EXPECT_EQ(r.out.find("LEAKED"), std::string::npos) << "bottle-egress got the launcher's environment";
    l.expect_clean();
}

TEST(SmolvmReviewLaunch, ASharedPathSwappedDuringTheLaunchStopsTheVm) {
    SKIP_UNLESS_RUNNABLE();
    smolvm_launch l;
    l.env["FAKE_SMOLVM_FAULT"] = "swap_share";
    auto r = l.run({"/usr/bin/touch", l.root + "/ws/agent-ran"});
    EXPECT_EQ(r.exit_code, 125) << r.err;
    EXPECT_NE(r.err.find(".claude was replaced while the machine started"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(l.root + "/ws/agent-ran")) << "the agent ran";
    EXPECT_EQ(l.log().find("\"cmd\": \"exec\""), std::string::npos) << l.log();
    std::filesystem::remove(l.root + "/ws/.claude");  // the fake's symlink; the launch's own dirs are gone
    std::filesystem::remove(l.root + "/ws/.claude.moved");
    l.expect_clean();
}
