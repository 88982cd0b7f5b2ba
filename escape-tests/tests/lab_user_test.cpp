#include "lab/lab_user.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;
using namespace bottle::escape::lab;

TEST(LabUser, TheFirstIdFreeAsUidAndGidIsChosen) {
    const std::string passwd = "root:x:0:0:root:/root:/bin/bash\nsvc:x:64200:100::/:/bin/false\n# comment\nbroken line\n";
    const std::string group = "root:x:0:\nsvcgrp:x:64201:\n";
    const auto u = choose_lab_user(passwd, group);
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(u->uid, 64202u) << "64200 is a uid, 64201 a gid on this host";
    EXPECT_EQ(u->gid, 64202u);
    const auto none = choose_lab_user("a:x:10:10::/:/bin/sh\n", "b:x:11:\n", 10, 2);
    EXPECT_TRUE(bottle::failed_with(none, bottle::errc::exhausted));
}

TEST(LabUser, PasswdAndGroupCopiesNameTheUserAndKeepTheHostsEntries) {
    const lab_user u{64210, 64210};
    const std::string p = passwd_with("root:x:0:0:root:/root:/bin/bash", u);
    EXPECT_EQ(p, "root:x:0:0:root:/root:/bin/bash\nbbx-lab:x:64210:64210:bot-bottle escape lab user:/home/bbx-lab:/bin/sh\n");
    EXPECT_EQ(group_with("root:x:0:\n", u), "root:x:0:\nbbx-lab:x:64210:\n");
    const auto again = choose_lab_user(p, group_with("root:x:0:\n", u), 64210, 2);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->uid, 64211u) << "the copy's own entry counts as taken";
}

TEST(LabUser, GiveToChownsTheWholeTree) {
    if (geteuid() != 0) GTEST_SKIP() << "chown to another uid needs root";
    const fs::path dir = fs::temp_directory_path() / ("bbx-give-" + std::to_string(getpid()));
    fs::create_directories(dir / "a/b");
    std::ofstream(dir / "a/b/secret") << "x";
    fs::create_symlink("/etc/passwd", dir / "a/link");
    ASSERT_TRUE(give_to(dir, lab_user{64250, 64251}));
    for (const fs::path& p : {dir, dir / "a", dir / "a/b", dir / "a/b/secret", dir / "a/link"}) {
        struct stat st{};
        ASSERT_EQ(lstat(p.c_str(), &st), 0) << p;
        EXPECT_EQ(st.st_uid, 64250u) << p;
        EXPECT_EQ(st.st_gid, 64251u) << p;
    }
    struct stat target{};
    ASSERT_EQ(stat("/etc/passwd", &target), 0);
    EXPECT_EQ(target.st_uid, 0u) << "a link is changed, never what it points to";
    fs::remove_all(dir);
    EXPECT_FALSE(give_to(dir, lab_user{64250, 64251})) << "a missing path is an error";
}

}  // namespace
