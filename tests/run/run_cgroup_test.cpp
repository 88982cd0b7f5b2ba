// The shared cgroup parent `bot-bottle`: made by the first bottle, removed by
// the last one's teardown, and never pulled from under a bottle that is
// starting. The directory logic is the same on a plain filesystem (rmdir of
// a non-empty directory fails), so the race runs in a temporary directory.
#include "bottle-run/backends/native/steps.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using bottle::run::native::make_bottle_cgroup_dir;
using bottle::run::native::remove_bottle_cgroup_dir;

TEST(RunCgroupParent, TheLastBottleRemovesTheParentAndNotBefore) {
    bottle::test_support::temp_dir root{"bottle-run-cgroup"};
    const std::string parent = (root.path() / "bot-bottle").string();
    int parent_made = 0;
    auto a = make_bottle_cgroup_dir(parent, "bb-a", [&](const std::string&) { ++parent_made; });
    auto b = make_bottle_cgroup_dir(parent, "bb-b", nullptr);
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(*a, parent + "/bb-a");
    EXPECT_EQ(parent_made, 1);
    remove_bottle_cgroup_dir(*a);
    EXPECT_FALSE(fs::exists(*a));
    EXPECT_TRUE(fs::exists(parent)) << "bb-b is still in it";
    remove_bottle_cgroup_dir(*b);
    EXPECT_FALSE(fs::exists(parent)) << "the last bottle's teardown removes the empty parent";
    remove_bottle_cgroup_dir(*b);  // idempotent: gc after teardown
    EXPECT_TRUE(fs::exists(root.path()));
}

TEST(RunCgroupParent, ABusyCgroupKeepsItsParent) {
    bottle::test_support::temp_dir root{"bottle-run-cgroup"};
    const std::string parent = (root.path() / "bot-bottle").string();
    auto a = make_bottle_cgroup_dir(parent, "bb-a", nullptr);
    ASSERT_TRUE(a);
    fs::create_directory(*a + "/still-here");  // rmdir of it fails, like a cgroup with processes
    remove_bottle_cgroup_dir(*a);
    EXPECT_TRUE(fs::exists(*a));
    EXPECT_TRUE(fs::exists(parent));
}

TEST(RunCgroupParent, ParentUnreachableIsAnError) {
    bottle::test_support::temp_dir root{"bottle-run-cgroup"};
    const std::string file = (root.path() / "plain-file").string();
    std::ofstream(file) << "not a directory";
    auto r = make_bottle_cgroup_dir(file + "/bot-bottle", "bb-a", nullptr);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("cgroup: mkdir"), std::string::npos) << r.error().message;
}

// Bottles starting while others end: every start finds its parent, however
// the teardowns interleave with its two mkdirs; the last teardown leaves
// nothing behind.
TEST(RunCgroupParent, StartsRacingTeardownsNeverFail) {
    bottle::test_support::temp_dir root{"bottle-run-cgroup"};
    const std::string parent = (root.path() / "bot-bottle").string();
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 500; ++i) {
                auto dir = make_bottle_cgroup_dir(parent, "bb-" + std::to_string(t) + "-" + std::to_string(i), nullptr);
                if (!dir) {
                    ++failures;
                    continue;
                }
                remove_bottle_cgroup_dir(*dir);
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_FALSE(fs::exists(parent));
}

}  // namespace
