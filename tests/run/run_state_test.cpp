// Running bottles as seen from the host: their cgroup (v1 here; v2 logic is
// in the plan tests), ls, stop, and gc of what a killed launcher left.
#include "support/temp_dir.hpp"

#include "bottle/os/spawn.hpp"

#include "bottle_run_process.hpp"

#include "support/text.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace {

namespace fs = std::filesystem;
using bottle::test_support::temp_dir;

using bottle::test_support::bottle_run_binary;

using bottle::test_support::userns_works;

using bottle::test_support::slurp;

/// bottle-run in the background with its own state directory.
pid_t start(const temp_dir& runtime, std::vector<std::string> args) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setenv("XDG_RUNTIME_DIR", runtime.path().c_str(), 1);
        std::vector<char*> argv{const_cast<char*>(bottle_run_binary.c_str())};
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(bottle_run_binary.c_str(), argv.data());
        _exit(99);
    }
    return pid;
}

bottle::os::spawn_output tool(const temp_dir& runtime, std::vector<std::string> args) {
    bottle::os::spawn_request r;
    r.argv = {bottle_run_binary};
    r.argv.insert(r.argv.end(), args.begin(), args.end());
    r.env = std::vector<std::string>{"PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + runtime.path().string()};
    auto out = bottle::os::spawn(r);
    return out ? *out : bottle::os::spawn_output{};
}

/// Waits for the state file of the one bottle started in `runtime`.
std::string wait_for_id(const temp_dir& runtime) {
    for (int i = 0; i < 100; ++i) {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(runtime.path() / "bot-bottle", ec))
            if (e.path().extension() == ".json" && e.path().stem().extension() != ".launch") return e.path().stem().string();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "";
}

class RunState : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(bottle_run_binary)) GTEST_SKIP() << "build bottle-run first";
        if (!userns_works()) GTEST_SKIP() << "user namespaces are not available";
    }
};

TEST_F(RunState, LsListsAndStopEndsARunningBottle) {
    temp_dir runtime{"bottle-run-state"};
    const pid_t pid = start(runtime, {"--", "sleep", "30"});
    const std::string id = wait_for_id(runtime);
    ASSERT_FALSE(id.empty());
    auto ls = tool(runtime, {"ls", "--json"});
    EXPECT_NE(ls.out.find("\"id\":\"" + id + "\""), std::string::npos) << ls.out;
    EXPECT_NE(ls.out.find("sleep 30"), std::string::npos) << ls.out;
    auto stop = tool(runtime, {"stop", id});
    EXPECT_EQ(stop.exit_code, 0) << stop.err;
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
    EXPECT_FALSE(fs::exists(runtime.path() / "bot-bottle" / (id + ".json"))) << "teardown removes the state";
    EXPECT_EQ(tool(runtime, {"stop", id}).exit_code, 125) << "a stopped bottle is no longer known";
}

TEST_F(RunState, GcRemovesWhatAKilledLauncherLeft) {
    temp_dir runtime{"bottle-run-state"};
    const pid_t pid = start(runtime, {"--", "sleep", "30"});
    const std::string id = wait_for_id(runtime);
    ASSERT_FALSE(id.empty());
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    ASSERT_EQ(::waitpid(pid, nullptr, 0), pid);
    ASSERT_TRUE(fs::exists(runtime.path() / "bot-bottle" / (id + ".json"))) << "SIGKILL leaves the state file";
    EXPECT_EQ(tool(runtime, {"ls"}).out.find(id), std::string::npos) << "a dead launcher's bottle is not listed";
    // What a docker bottle keeps on the host when its reaper was killed too:
    // its decision log, its socket's directory, its login copies (a secret).
    const fs::path state = runtime.path() / "bot-bottle";
    const std::string gone = "bb-00000000dead";
    std::ofstream(state / (gone + ".egress.log")) << "{}\n";
    fs::create_directories(state / (gone + ".egress.d"));
    fs::create_directories(state / (gone + ".login"));
    std::ofstream(state / (gone + ".login") / "0") << "secret";
    auto gc = tool(runtime, {"gc"});
    EXPECT_EQ(gc.exit_code, 0);
    EXPECT_NE(gc.out.find("removed 1"), std::string::npos) << gc.out;
    EXPECT_FALSE(fs::exists(state / (id + ".json")));
    for (const char* kept : {".egress.log", ".egress.d", ".login"}) EXPECT_FALSE(fs::exists(state / (gone + kept))) << kept;
}

TEST_F(RunState, ResourcesGoIntoTheBottlesCgroupAndLeaveWithIt) {
    if (::geteuid() != 0) GTEST_SKIP() << "cgroup v1 here is writable by root only";
    if (!fs::exists("/sys/fs/cgroup/pids/cgroup.procs") || fs::exists("/sys/fs/cgroup/cgroup.controllers"))
        GTEST_SKIP() << "this test is for a cgroup v1 host";
    temp_dir runtime{"bottle-run-state"};
    std::ofstream(runtime.path() / "m.json") << R"({"bottles":{"small":{"resources":{"pids":32,"memory_mib":128}}}})";
    const pid_t pid = start(runtime, {"--manifest", (runtime.path() / "m.json").string(), "--bottle", "small", "--", "sleep", "30"});
    const std::string id = wait_for_id(runtime);
    ASSERT_FALSE(id.empty());
    const fs::path pids = fs::path("/sys/fs/cgroup/pids/bot-bottle") / id;
    const fs::path memory = fs::path("/sys/fs/cgroup/memory/bot-bottle") / id;
    EXPECT_EQ(slurp(pids / "pids.max"), "32\n");
    EXPECT_EQ(slurp(memory / "memory.limit_in_bytes"), std::to_string(128ull << 20) + "\n");
    EXPECT_FALSE(slurp(pids / "cgroup.procs").empty()) << "the bottle runs inside it";
    ::kill(pid, SIGTERM);
    ASSERT_EQ(::waitpid(pid, nullptr, 0), pid);
    EXPECT_FALSE(fs::exists(pids)) << "teardown removes the cgroup";
    EXPECT_FALSE(fs::exists(memory));
    // ... and the shared parent with it, unless another bottle is in there.
    for (const char* parent : {"/sys/fs/cgroup/pids/bot-bottle", "/sys/fs/cgroup/memory/bot-bottle"}) {
        std::error_code ec;
        if (!fs::exists(parent)) continue;
        std::size_t others = 0;
        for (const auto& e : fs::directory_iterator(parent, ec))
            if (e.is_directory()) ++others;
        EXPECT_GT(others, 0u) << parent << " is left empty";
    }
}

TEST_F(RunState, PidsLimitHoldsInsideTheBottle) {
    if (::geteuid() != 0 || !fs::exists("/sys/fs/cgroup/pids/cgroup.procs")) GTEST_SKIP() << "needs root on cgroup v1";
    temp_dir runtime{"bottle-run-state"};
    std::ofstream(runtime.path() / "m.json") << R"({"bottles":{"small":{"resources":{"pids":8}}}})";
    auto r = tool(runtime, {"--manifest", (runtime.path() / "m.json").string(), "--bottle", "small", "--", "sh", "-c",
                            "n=0; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 2 & n=$((n+1)); done; echo started"});
    EXPECT_NE(r.err.find("fork"), std::string::npos) << "the ninth process is refused: " << r.out << r.err;
}

}  // namespace
