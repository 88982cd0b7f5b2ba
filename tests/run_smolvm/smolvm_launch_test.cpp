// The whole smolmachines flow against the fake smolvm: preflight, alias,
// bundle (bottle-egress on the alias), create, allowlist forced and
// confirmed, start, exec, teardown — and every fault ending in exit 125,
// the VM never started, nothing left running or allocated.
#include "smolvm_fixture.hpp"

#include <gtest/gtest.h>

#include <thread>

using bottle::test_support::smolvm_launch;

namespace {

#define SKIP_IF_MISSING()                                           \
    do {                                                            \
        if (auto why = smolvm_launch::missing(); !why.empty())      \
            GTEST_SKIP() << "not runnable here: " << why;           \
    } while (0)

}  // namespace

TEST(SmolvmLaunch, RunsTheAgentBehindItsAliasAndTearsDown) {
    SKIP_IF_MISSING();
    smolvm_launch l;
    // The agent sees the proxy on its alias, is in the workspace, and the
    // proxy there enforces the bottle's routes (a denied host gets 403).
    auto r = l.run({"/usr/bin/bash", "-c",
                    "echo proxy=$HTTPS_PROXY; echo cwd=$PWD; "
                    "exec 3<>/dev/tcp/127.0.0.16/3128 && printf 'CONNECT denied.test:443 HTTP/1.1\\r\\nHost: denied.test:443\\r\\n\\r\\n' >&3 "
                    "&& head -c 12 <&3; echo; exit 7"});
    EXPECT_EQ(r.exit_code, 7) << r.err;
    EXPECT_NE(r.out.find("proxy=http://127.0.0.16:3128"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("cwd=" + l.root + "/ws"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("HTTP/1.1 403"), std::string::npos) << r.out << r.err;
    const std::string log = l.log();
    EXPECT_NE(log.find("\"--allow-cidr\", \"127.0.0.16/32\""), std::string::npos) << log;
    EXPECT_NE(log.find("\"cmd\": \"start\", \"name\": \"" + l.machine() + "\", \"allowed_cidrs\": [\"127.0.0.16/32\"]"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("\"cmd\": \"delete\""), std::string::npos) << log;
    EXPECT_NE(log.find("\"-v\", \"" + l.root + "/ws/.git:/workspace/.git:ro\""), std::string::npos) << log;
    // The protected paths it had to create are gone again (they were empty).
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(l.root + "/ws"), std::filesystem::directory_iterator()), 0)
        << "the launch left directories in the workspace";
    l.expect_clean();
}

TEST(SmolvmLaunch, ASymlinkedProtectedPathIsRefused) {
    SKIP_IF_MISSING();
    smolvm_launch l;
    std::filesystem::create_directories(l.root + "/elsewhere");
    std::filesystem::create_directory_symlink(l.root + "/elsewhere", l.root + "/ws/.claude");
    std::filesystem::create_directories(l.root + "/ws/.git/hooks");
    auto r = l.run({"/bin/true"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find(".claude is a symlink"), std::string::npos) << r.err;
    EXPECT_FALSE(l.started());
    EXPECT_TRUE(std::filesystem::exists(l.root + "/ws/.git/hooks")) << "what the user had stays";
    l.expect_clean();
}

TEST(SmolvmLaunch, DroppedAllowlistOfOldFromIsPatchedAndConfirmedBeforeStart) {
    SKIP_IF_MISSING();
    smolvm_launch l;
    l.env["FAKE_SMOLVM_VERSION"] = "1.7.7";
    l.env["FAKE_SMOLVM_FAULT"] = "drop_from";
    l.env["BOTTLE_SMOLVM_FROM"] = l.root + "/agent.smolmachine";
    auto r = l.run({"/bin/true"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("drops --allow-cidr with --from"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("patched and confirmed"), std::string::npos) << r.err;
    const std::string log = l.log();
    EXPECT_NE(log.find("\"cmd\": \"create\", \"name\": \"" + l.machine()), std::string::npos);
    EXPECT_NE(log.find("\"allowed_cidrs\": null"), std::string::npos) << "the fault did not fire: " << log;
    EXPECT_NE(log.find("\"allowed_cidrs\": [\"127.0.0.16/32\"], \"network\": true"), std::string::npos)
        << "the VM must start with exactly the alias /32: " << log;
    l.expect_clean();
}

struct fault_case {
    const char* fault;
    const char* reason;  ///< what stderr must say
    const char* version = nullptr;
    bool from = false;
};

class SmolvmFault : public ::testing::TestWithParam<fault_case> {};

TEST_P(SmolvmFault, VmNeverStartsExit125NothingLeft) {
    SKIP_IF_MISSING();
    const fault_case& c = GetParam();
    smolvm_launch l;
    l.env["FAKE_SMOLVM_FAULT"] = c.fault;
    if (c.version) l.env["FAKE_SMOLVM_VERSION"] = c.version;
    if (c.from) l.env["BOTTLE_SMOLVM_FROM"] = l.root + "/agent.smolmachine";
    auto r = l.run({"/usr/bin/touch", l.root + "/ws/agent-ran"});
    EXPECT_EQ(r.exit_code, 125) << r.err;
    EXPECT_NE(r.err.find(c.reason), std::string::npos) << "stderr: " << r.err;
    EXPECT_FALSE(l.started()) << "the VM was started: " << l.log();
    EXPECT_FALSE(std::filesystem::exists(l.root + "/ws/agent-ran"));
    l.expect_clean();
}

INSTANTIATE_TEST_SUITE_P(
    Faults, SmolvmFault,
    ::testing::Values(fault_case{"drop_from,sticky", "unrestricted", "1.7.7", true},
                      fault_case{"null,sticky", "allowed_cidrs null", nullptr, false},
                      fault_case{"empty,sticky", "allows [], wanted [\"127.0.0.16/32\"]", nullptr, false},
                      fault_case{"wide,sticky", "allows [\"127.0.0.0/8\"]", nullptr, false},
                      fault_case{"text", "not stored as a BLOB", nullptr, false},
                      fault_case{"wide,lock", "locked", nullptr, false},
                      fault_case{"wide,delete_row", "no smolvm machine named", nullptr, false},
                      fault_case{"fail_start", "machine start: exit 1: Error: failed to start", nullptr, false},
                      fault_case{"hang_create", "machine create: no answer in time", nullptr, false},
                      fault_case{"hang_start", "machine start: no answer in time", nullptr, false}),
    [](const ::testing::TestParamInfo<fault_case>& i) {
        std::string n = i.param.fault;
        for (char& ch : n)
            if (ch == ',') ch = '_';
        return n;
    });

TEST(SmolvmLaunch, RefusesVersionsThatCannotEnforce) {
    SKIP_IF_MISSING();
    for (const char* v : {"1.1.2", "dev-build"}) {
        smolvm_launch l;
        l.env["FAKE_SMOLVM_VERSION"] = v;
        auto r = l.run({"/bin/true"});
        EXPECT_EQ(r.exit_code, 125) << v;
        EXPECT_NE(r.err.find("docs/smolvm.md"), std::string::npos) << r.err;
        EXPECT_EQ(l.log().find("\"cmd\": \"create\""), std::string::npos) << "nothing may be created for " << v;
        l.expect_clean();
    }
}

TEST(SmolvmLaunch, PreflightNamesWhatIsMissing) {
    SKIP_IF_MISSING();
    smolvm_launch l;
    l.env["BOTTLE_SMOLVM_KVM"] = l.root + "/no-kvm";
    auto r = l.run({"/bin/true"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("smolvm needs KVM"), std::string::npos) << r.err;
    smolvm_launch none;
    none.env["PATH"] = "/usr/bin:/bin";
    auto n = none.run({"/bin/true"});
    EXPECT_EQ(n.exit_code, 125);
    EXPECT_NE(n.err.find("smolvm is not on PATH"), std::string::npos) << n.err;
}

TEST(SmolvmLaunch, SigtermTearsEverythingDown) {
    SKIP_IF_MISSING();
    smolvm_launch l;
    std::thread killer([&] {
        // Once the agent runs, SIGTERM the launcher (the `bottle-run stop` path).
        for (int i = 0; i < 300 && l.log().find("\"cmd\": \"exec\"") == std::string::npos; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        for (const auto& p : std::filesystem::directory_iterator("/proc")) {
            auto cmd = bottle::os::read_file(p.path().string() + "/cmdline", 1 << 16);
            if (cmd && cmd->rfind(BOTTLE_BINARY_DIR "/tools/bottle-run/bottle-run", 0) == 0 && cmd->find(l.root) != std::string::npos)
                ::kill(std::stoi(p.path().filename().string()), SIGTERM);
        }
    });
    auto r = l.run({"/bin/sleep", "30"});
    killer.join();
    EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
    EXPECT_TRUE(l.started());
    l.expect_clean();
}

TEST(SmolvmLaunch, GcCleansUpAfterAKilledLauncher) {
    SKIP_IF_MISSING();
    smolvm_launch l;
    std::thread killer([&] {
        for (int i = 0; i < 300 && l.log().find("\"cmd\": \"exec\"") == std::string::npos; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        for (const auto& p : std::filesystem::directory_iterator("/proc")) {
            auto cmd = bottle::os::read_file(p.path().string() + "/cmdline", 1 << 16);
            if (cmd && cmd->rfind(BOTTLE_BINARY_DIR "/tools/bottle-run/bottle-run", 0) == 0 && cmd->find(l.root) != std::string::npos)
                ::kill(std::stoi(p.path().filename().string()), SIGKILL);
        }
    });
    auto r = l.run({"/bin/sleep", "5"});
    killer.join();
    EXPECT_EQ(r.term_signal == SIGKILL || r.exit_code == 128 + SIGKILL, true);
    ASSERT_TRUE(l.started());
    EXPECT_TRUE(std::filesystem::exists(l.root + "/run/bot-bottle/aliases/127.0.0.16")) << "a killed launcher leaves its alias";
    // gc runs in the host namespace: nothing of the bottle's namespace is needed.
    bottle::os::spawn_request g;
    g.argv = {BOTTLE_BINARY_DIR "/tools/bottle-run/bottle-run", "gc"};
    g.env = l.env_list();
    g.timeout = std::chrono::seconds(60);
    auto gc = bottle::os::spawn(g);
    ASSERT_TRUE(gc);
    EXPECT_EQ(gc->exit_code, 0) << gc->err;
    // The exec'd `sleep 5` (the fake's child) may outlive the fake VM: wait for it.
    for (int i = 0; i < 120 && !smolvm_launch::processes_with(l.root).empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    l.expect_clean();
}

TEST(SmolvmLaunch, DryRunPrintsThePlanAndStartsNothing) {
    SKIP_IF_MISSING();
    smolvm_launch l;
    l.args.insert(l.args.begin(), "--dry-run");
    auto r = l.run({"/bin/true"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const char* want : {"\"backend\":\"smolmachines\"", "\"allowlist\":[\"127.0.0.16/32\"]", "\"--allow-cidr\",\"127.0.0.16/32\"",
                             "\"HTTPS_PROXY=http://127.0.0.16:3128\"", "\"egress\":[\"allowed.test:80\"]"})
        EXPECT_NE(r.out.find(want), std::string::npos) << want << " in " << r.out;
    EXPECT_TRUE(l.log().empty()) << "a dry run must not call smolvm: " << l.log();
    EXPECT_FALSE(std::filesystem::exists(l.root + "/run/bot-bottle/aliases/127.0.0.16"));
}

TEST(SmolvmLaunch, TwoLaunchesAtOnceGetDifferentAliases) {
    SKIP_IF_MISSING();
    smolvm_launch l;
    // Both in one network namespace and one state directory, overlapping.
    std::string args;
    for (const auto& a : l.args) args += " '" + a + "'";
    const std::string run = std::string("'" BOTTLE_BINARY_DIR "/tools/bottle-run/bottle-run'") + args +
                            " /usr/bin/bash -c 'echo proxy=$HTTPS_PROXY; sleep 1'";
    bottle::os::spawn_request r;
    r.argv = {"/usr/bin/unshare", "--net", "--", "/bin/sh", "-c",
              "ip link set lo up && (" + run + " > " + l.root + "/a.out 2>&1 & " + run + " > " + l.root + "/b.out 2>&1 & wait)"};
    r.env = l.env_list();
    r.timeout = std::chrono::seconds(60);
    auto out = bottle::os::spawn(r);
    ASSERT_TRUE(out && out->succeeded()) << (out ? out->err : out.error().message);
    const auto a = bottle::os::read_file(l.root + "/a.out", 1 << 16), b = bottle::os::read_file(l.root + "/b.out", 1 << 16);
    ASSERT_TRUE(a && b);
    const bool a16 = a->find("proxy=http://127.0.0.16:3128") != std::string::npos, a17 = a->find("proxy=http://127.0.0.17:3128") != std::string::npos;
    const bool b16 = b->find("proxy=http://127.0.0.16:3128") != std::string::npos, b17 = b->find("proxy=http://127.0.0.17:3128") != std::string::npos;
    EXPECT_TRUE((a16 && b17) || (a17 && b16)) << "A: " << *a << "\nB: " << *b;
    const std::string log = l.log();
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 10) << "two each of create, start, exec, stop, delete: " << log;
    l.expect_clean();
}
