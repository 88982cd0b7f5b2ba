// The lab host's cgroup (lab/lab_cgroup.hpp): what the sandbox started does
// not survive teardown, even a process that double-forked away; and gc
// finds a killed run's cgroups by name (runner/gc.hpp).
#include "lab/lab_cgroup.hpp"
#include "lab/memory_limits.hpp"
#include "lab/system.hpp"
#include "runner/gc.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace {

namespace fs = std::filesystem;
using bottle::escape::lab::lab_cgroup;

// Running or sleeping; a zombie (killed, not yet reaped by its new parent) is not.
bool alive(pid_t pid) {
    const auto stat = bottle::escape::lab::read_small_file("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return false;
    const auto close_paren = stat->rfind(')');
    return close_paren != std::string::npos && close_paren + 2 < stat->size() && (*stat)[close_paren + 2] != 'Z';
}

TEST(LabCgroup, TeardownKillsEverythingInItAndRemovesIt) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to make a cgroup";
    lab_cgroup cg("bbx-lab-" + bottle::escape::lab::random_hex(8));
    if (auto made = cg.create(); !made) GTEST_SKIP() << "no usable cgroup here: " << made.error().message;
    int pipefd[2];
    ASSERT_EQ(pipe(pipefd), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // Joins, then leaves a grandchild that is nobody's child any more.
        if (!cg.add(0)) _exit(1);
        const pid_t g = fork();
        if (g == 0) {
            setsid();
            for (;;) pause();
        }
        (void)!write(pipefd[1], &g, sizeof g);
        _exit(0);
    }
    close(pipefd[1]);
    pid_t grandchild = -1;
    ASSERT_EQ(read(pipefd[0], &grandchild, sizeof grandchild), static_cast<ssize_t>(sizeof grandchild));
    close(pipefd[0]);
    waitpid(child, nullptr, 0);
    ASSERT_TRUE(alive(grandchild));
    const auto members = cg.members();
    EXPECT_NE(std::find(members.begin(), members.end(), grandchild), members.end()) << "forks stay in the cgroup";
    const auto dirs = cg.dirs();
    cg.destroy();
    // The grandchild was reparented to init (or a subreaper); it is killed,
    // and reaped by whoever its parent is now.
    for (int i = 0; i < 100 && alive(grandchild); ++i) {
        waitpid(grandchild, nullptr, WNOHANG);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_FALSE(alive(grandchild));
    for (const auto& d : dirs) EXPECT_FALSE(fs::exists(d)) << d;
    EXPECT_FALSE(cg.made());
}

TEST(LabCgroup, GcRemovesOnlyStaleLabCgroups) {
    using namespace bottle::escape;
    const auto plan = plan_gc({}, {{"run-aaaaaaaa1234", true}, {"run-bbbbbbbb1234", false}},
                              {"bbx-lab-aaaaaaaa", "bbx-lab-bbbbbbbb", "bbx-lab-cccccccc", "bbx-lab-cccccccc", "docker",
                               "bbx-lab-XYZ", "system.slice"});
    EXPECT_EQ(plan.cgroups, (std::vector<std::string>{"bbx-lab-bbbbbbbb", "bbx-lab-cccccccc"}));
}

}  // namespace
