#include "bottle/os/unique_fd.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <type_traits>
#include <utility>

namespace {

using bottle::os::unique_fd;

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

int open_null() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

static_assert(!std::is_copy_constructible_v<unique_fd>);
static_assert(!std::is_copy_assignable_v<unique_fd>);
static_assert(std::is_nothrow_move_constructible_v<unique_fd>);
static_assert(!std::is_convertible_v<unique_fd, bool>, "explicit bool only");
static_assert(!std::is_constructible_v<unique_fd, double*>);

TEST(UniqueFd, EmptyByDefault) {
    unique_fd fd;
    EXPECT_FALSE(fd);
    EXPECT_EQ(fd.get(), -1);
    EXPECT_FALSE(unique_fd(-7)) << "any negative value owns nothing";
    EXPECT_EQ(unique_fd(-7).get(), -1);
}

TEST(UniqueFd, ClosesOnDestruction) {
    int raw = -1;
    {
        unique_fd fd(open_null());
        raw = fd.get();
        ASSERT_TRUE(fd);
        EXPECT_TRUE(is_open(raw));
    }
    EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, ReleaseHandsOwnershipBack) {
    int raw = -1;
    {
        unique_fd fd(open_null());
        raw = fd.release();
        EXPECT_FALSE(fd);
        EXPECT_EQ(fd.get(), -1);
    }
    EXPECT_TRUE(is_open(raw));
    ::close(raw);
}

TEST(UniqueFd, ResetClosesTheOldAndTakesTheNew) {
    unique_fd fd(open_null());
    const int first = fd.get();
    const int second = open_null();
    fd.reset(second);
    EXPECT_FALSE(is_open(first));
    EXPECT_EQ(fd.get(), second);
    fd.reset(second);  // the one already owned: still open, still owned
    EXPECT_TRUE(is_open(second));
    EXPECT_EQ(fd.get(), second);
    fd.reset();
    EXPECT_FALSE(fd);
    EXPECT_FALSE(is_open(second));
}

TEST(UniqueFd, MoveTransfersOwnership) {
    unique_fd a(open_null());
    const int raw = a.get();
    unique_fd b(std::move(a));
    EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
    EXPECT_EQ(b.get(), raw);

    unique_fd c(open_null());
    const int other = c.get();
    c = std::move(b);
    EXPECT_FALSE(is_open(other)) << "assignment closes what the target owned";
    EXPECT_EQ(c.get(), raw);
    EXPECT_TRUE(is_open(raw));

    auto& self = c;
    c = std::move(self);
    EXPECT_EQ(c.get(), raw) << "self-move keeps the descriptor";
    EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, CloseReportsErrorsAndEmpties) {
    unique_fd fd(open_null());
    EXPECT_TRUE(fd.close());
    EXPECT_FALSE(fd);
    EXPECT_TRUE(fd.close()) << "closing nothing is fine";

    // A descriptor closed behind its owner's back: close() says so.
    unique_fd stale(open_null());
    ::close(stale.get());
    auto r = stale.close();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, bottle::make_error_code(bottle::errc::io_error));
    EXPECT_FALSE(stale);
}

}  // namespace
