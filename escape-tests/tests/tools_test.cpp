#include "lab/tools.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;
using namespace bottle::escape::lab;

TEST(ToolStaging, TheLabHidesItsReplacedDirectoriesOnly) {
    for (const char* hidden : {"/tmp", "/tmp/x/build/bottle-probe", "/var/tmp/ci", "/run/user/0/b", "/root/src/bb", "/home/u/src",
                               "/tmp/../tmp/y", "/var/lib/../tmp/z"})
        EXPECT_TRUE(hidden_in_lab(hidden)) << hidden;
    for (const char* visible : {"/srv/checkout/build/bottle-probe", "/tmpfoo/x", "/var/lib/bottle-escape", "/rootfs/x",
                                "/usr/bin/bwrap", "/homework/x", "/runner/x"})
        EXPECT_FALSE(hidden_in_lab(visible)) << visible;
}

TEST(ToolStaging, EveryProgramTheLabRunsIsUnderTheRunDirectory) {
    const fs::path tools = "/var/lib/bottle-escape/run-0123/tools";
    const auto s = plan_tool_staging(tools, {"/tmp/co/build/bottle-probe", "/tmp/co/escape-tests/profiles", ""});
    EXPECT_EQ(s.in_lab.probe, tools / "bottle-probe");
    EXPECT_EQ(s.in_lab.profiles, tools / "profiles");
    EXPECT_TRUE(s.in_lab.node_bin.empty()) << "no node_bin given, none staged";
    ASSERT_EQ(s.binds.size(), 2u);
    for (const auto& b : s.binds) {
        EXPECT_FALSE(hidden_in_lab(b.target)) << b.target;
        EXPECT_TRUE(b.read_only) << "the sandbox must not rewrite the harness: " << b.target;
    }
    EXPECT_EQ(s.binds[0].source, "/tmp/co/build/bottle-probe");
    EXPECT_FALSE(s.binds[0].directory);
    EXPECT_TRUE(s.binds[1].directory);
}

TEST(ToolStaging, RelativeHostPathsAreMadeAbsolute) {
    const auto s = plan_tool_staging("/r/tools", {"build/../bottle-probe", "profiles", ""});
    EXPECT_EQ(s.binds[0].source, (fs::current_path() / "bottle-probe").lexically_normal());
    EXPECT_TRUE(s.binds[1].source.is_absolute());
}

TEST(ToolStaging, NodeModulesIsBoundWholeWhenItExists) {
    const fs::path dir = fs::temp_directory_path() / ("bbx-tools-" + std::to_string(getpid()));
    fs::create_directories(dir / "node_modules/.bin");
    const auto s = plan_tool_staging("/r/tools", {"/p", "/q", dir / "node_modules/.bin"});
    ASSERT_EQ(s.binds.size(), 3u);
    EXPECT_EQ(s.binds[2].source, dir / "node_modules") << ".bin holds relative links into node_modules";
    EXPECT_EQ(s.in_lab.node_bin, fs::path("/r/tools/node_modules/.bin"));
    EXPECT_FALSE(s.binds[2].read_only);
    const auto missing = plan_tool_staging("/r/tools", {"/p", "/q", dir / "absent/.bin"});
    EXPECT_EQ(missing.binds.size(), 2u);
    EXPECT_TRUE(missing.in_lab.node_bin.empty());
    fs::remove_all(dir);
}

TEST(ToolStaging, MountPointsAreCreatedAsFilesAndDirectories) {
    const fs::path dir = fs::temp_directory_path() / ("bbx-mp-" + std::to_string(getpid()));
    const auto s = plan_tool_staging(dir / "tools", {"/p", "/q", ""});
    ASSERT_TRUE(make_mount_points(s));
    EXPECT_TRUE(fs::is_regular_file(dir / "tools/bottle-probe"));
    EXPECT_TRUE(fs::is_directory(dir / "tools/profiles"));
    fs::remove_all(dir);
    std::ofstream(dir.string() + "-file") << "x";
    const auto blocked = plan_tool_staging(dir.string() + "-file/tools", {"/p", "/q", ""});
    const auto r = make_mount_points(blocked);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("-file/tools"), std::string::npos) << r.error().message;
    fs::remove(dir.string() + "-file");
}

}  // namespace
