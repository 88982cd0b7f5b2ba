#include "bottle/os/file.hpp"

#include "../support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace {

using bottle::errc;
using bottle::failed_with;
namespace os = bottle::os;

TEST(File, WriteThenReadRoundTrips) {
    bottle::test_support::temp_dir dir;
    const auto path = (dir.path() / "f").string();
    const std::string data("bytes\0and more\n", 15);
    ASSERT_TRUE(os::write_file(path, data, 0640));
    auto back = os::read_file(path, 1024);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, data);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    const mode_t mask = ::umask(0);
    ::umask(mask);
    EXPECT_EQ(st.st_mode & 0777, 0640u & ~mask);

    ASSERT_TRUE(os::write_file(path, "short"));
    EXPECT_EQ(os::read_file(path, 1024).value(), "short") << "truncated, not overwritten in place";
}

TEST(File, ReadErrorsAreTyped) {
    bottle::test_support::temp_dir dir;
    EXPECT_TRUE(failed_with(os::read_file((dir.path() / "absent").string(), 10), errc::not_found));
    EXPECT_TRUE(failed_with(os::read_file("/etc/hostname/below-a-file", 10), errc::not_found));
    auto big = os::read_file("/dev/zero", 1000);
    ASSERT_TRUE(failed_with(big, errc::limit_exceeded));
    EXPECT_NE(big.error().message.find("1000"), std::string::npos) << "the limit is named";
    const auto path = (dir.path() / "exact").string();
    ASSERT_TRUE(os::write_file(path, std::string(1000, 'x')));
    EXPECT_EQ(os::read_file(path, 1000).value().size(), 1000u) << "exactly the limit is fine";
    EXPECT_TRUE(failed_with(os::read_file(dir.path().string(), 10), errc::io_error)) << "a directory";
}

TEST(File, WriteNeverFollowsASymlink) {
    bottle::test_support::temp_dir dir;
    const auto target = (dir.path() / "target").string();
    const auto link = (dir.path() / "link").string();
    ASSERT_TRUE(os::write_file(target, "original"));
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
    auto r = os::write_file(link, "through the link");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("symlink"), std::string::npos);
    EXPECT_EQ(os::read_file(target, 100).value(), "original");
    EXPECT_TRUE(failed_with(os::write_file((dir.path() / "no/such/dir").string(), "x"), errc::not_found));
}

}  // namespace
