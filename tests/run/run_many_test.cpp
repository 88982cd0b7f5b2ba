// 64 bottles at once: every launch succeeds with its own id, and afterwards
// the host's mounts, descriptors, processes and cgroups are as they were.
#include "support/temp_dir.hpp"

#include "bottle_run_process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using bottle::test_support::bottle_run_binary;

std::size_t count_lines(const char* path) {
    std::ifstream f(path);
    std::size_t n = 0;
    for (std::string line; std::getline(f, line);) ++n;
    return n;
}

std::size_t count_entries(const fs::path& dir) {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); ++it) ++n;
    return n;
}

std::size_t processes_with(const std::string& marker) {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
        std::ifstream f(e.path() / "cmdline");
        std::string cmd((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        if (cmd.find(marker) != std::string::npos) ++n;
    }
    return n;
}

TEST(RunMany, SixtyFourBottlesAtOnceLeaveNothingBehind) {
    if (!fs::exists(bottle_run_binary)) GTEST_SKIP() << "build bottle-run first";
    if (::access("/proc/self/ns/user", F_OK) != 0) GTEST_SKIP() << "no user namespaces";
    bottle::test_support::temp_dir runtime{"bottle-run-many"};
    const std::string marker = "many-marker-" + std::to_string(::getpid());
    const auto mounts_before = count_lines("/proc/self/mountinfo");
    const auto fds_before = count_entries("/proc/self/fd");
    const auto cgroups_before = count_entries("/sys/fs/cgroup/pids/bot-bottle");
    constexpr int n = 64;
    struct launched {
        pid_t pid;
        int out;
    };
    std::vector<launched> all;
    for (int i = 0; i < n; ++i) {
        int p[2];
        ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            ::dup2(p[1], 1);
            ::setenv("XDG_RUNTIME_DIR", runtime.path().c_str(), 1);
            ::execl(bottle_run_binary.c_str(), bottle_run_binary.c_str(), "--", "sh", "-c", "cat /proc/sys/kernel/hostname; sleep 0.3", marker.c_str(), nullptr);
            _exit(99);
        }
        ::close(p[1]);
        all.push_back({pid, p[0]});
    }
    std::set<std::string> ids;
    int ok = 0;
    for (auto& l : all) {
        std::string out;
        char buf[256];
        for (ssize_t r; (r = ::read(l.out, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(r));
        ::close(l.out);
        int status = 0;
        ASSERT_EQ(::waitpid(l.pid, &status, 0), l.pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ++ok;
        ids.insert(out);
    }
    EXPECT_EQ(ok, n);
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(n)) << "every bottle has its own id (hostname)";
    EXPECT_EQ(count_lines("/proc/self/mountinfo"), mounts_before);
    EXPECT_EQ(count_entries("/proc/self/fd"), fds_before);
    EXPECT_EQ(count_entries("/sys/fs/cgroup/pids/bot-bottle"), cgroups_before);
    EXPECT_EQ(processes_with(marker), 0u) << "no process of any bottle survives";
    // Only the launch records stay (for resume), one per bottle.
    std::size_t records = 0, others = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(runtime.path() / "bot-bottle", ec))
        ++(e.path().filename().string().ends_with(".launch.json") ? records : others);
    EXPECT_EQ(others, 0u) << "no state left";
    EXPECT_EQ(records, static_cast<std::size_t>(n));
}

}  // namespace
