#include "bottle/os/netns.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace {

using bottle::errc;
using bottle::failed_with;
namespace os = bottle::os;

ino_t inode_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

std::vector<std::string> interface_names() {
    std::vector<std::string> names;
    if (struct if_nameindex* list = ::if_nameindex()) {
        for (auto* i = list; i->if_index != 0; ++i) names.emplace_back(i->if_name);
        ::if_freenameindex(list);
    }
    return names;
}

/// A child process sitting in a fresh network namespace (only `lo`, down),
/// killed and reaped when the fixture ends, whatever the test did.
class FreshNetns : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "entering a namespace needs CAP_SYS_ADMIN";
        int ready[2], hold[2];
        ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
        ASSERT_EQ(::pipe2(hold, O_CLOEXEC), 0);
        child_ = ::fork();
        ASSERT_GE(child_, 0);
        if (child_ == 0) {
            const char ok = ::unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
            (void)!::write(ready[1], &ok, 1);
            char c;
            while (::read(hold[0], &c, 1) > 0) {}  // until the parent closes it
            ::_exit(0);
        }
        ::close(ready[1]);
        ::close(hold[0]);
        hold_ = hold[1];
        char ok = 0;
        const ssize_t got = ::read(ready[0], &ok, 1);
        ::close(ready[0]);
        ASSERT_EQ(got, 1);
        if (ok != 'y') GTEST_SKIP() << "unshare(CLONE_NEWNET) refused here";
        path_ = "/proc/" + std::to_string(child_) + "/ns/net";
    }
    void TearDown() override {
        if (hold_ >= 0) ::close(hold_);
        if (child_ > 0) {
            ::kill(child_, SIGKILL);
            ::waitpid(child_, nullptr, 0);
        }
    }

    /// Runs `f` on a thread of its own, so the test's thread never moves.
    template <class F>
    void on_thread(F f) {
        std::thread t(f);
        t.join();
    }

    pid_t child_ = -1;
    int hold_ = -1;
    std::string path_;
};

TEST_F(FreshNetns, EnterByPathMovesOnlyTheCallingThread) {
    const ino_t ours = inode_of("/proc/thread-self/ns/net");
    const ino_t target = inode_of(path_);
    ASSERT_NE(target, 0u);
    ASSERT_NE(ours, target) << "the child really is elsewhere";

    bool entered = false;
    ino_t seen = 0;
    std::vector<std::string> names;
    on_thread([&] {
        auto r = os::enter_netns(path_);
        entered = r.has_value();
        seen = inode_of("/proc/thread-self/ns/net");
        names = interface_names();  // a netlink socket made in the thread's namespace
    });
    EXPECT_TRUE(entered);
    EXPECT_EQ(seen, target);
    EXPECT_EQ(names, std::vector<std::string>{"lo"}) << "a fresh namespace holds only lo";
    EXPECT_EQ(inode_of("/proc/thread-self/ns/net"), ours) << "the test's thread did not move";
}

TEST_F(FreshNetns, EnterByDescriptor) {
    auto fd = os::open_netns(path_);
    ASSERT_TRUE(fd) << fd.error().describe();
    ino_t seen = 0;
    on_thread([&] {
        if (os::enter_netns(fd->get())) seen = inode_of("/proc/thread-self/ns/net");
    });
    EXPECT_EQ(seen, inode_of(path_));
}

TEST_F(FreshNetns, ScopedNetnsReturnsTheThread) {
    const ino_t target = inode_of(path_);
    ino_t before = 0, inside = 0, after = 0;
    on_thread([&] {
        before = inode_of("/proc/thread-self/ns/net");
        {
            auto scope = os::scoped_netns::enter(path_);
            if (!scope) return;
            inside = inode_of("/proc/thread-self/ns/net");
        }
        after = inode_of("/proc/thread-self/ns/net");
    });
    EXPECT_EQ(inside, target);
    EXPECT_EQ(after, before);
    EXPECT_NE(before, target);
}

TEST(Netns, ErrorsAreTyped) {
    EXPECT_TRUE(failed_with(os::enter_netns(std::string("/nonexistent/ns/net")), errc::not_found));
    EXPECT_TRUE(failed_with(os::open_netns("/proc/self/ns/mnt"), errc::invalid_argument)) << "a namespace, not a network one";
    EXPECT_TRUE(failed_with(os::open_netns("/etc/hostname"), errc::invalid_argument));
    EXPECT_TRUE(failed_with(os::enter_netns(-1), errc::invalid_argument));
    const int file = ::open("/etc/hostname", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(file, 0);
    EXPECT_TRUE(failed_with(os::enter_netns(file), errc::invalid_argument));
    ::close(file);
    EXPECT_TRUE(failed_with(os::scoped_netns::enter("/nonexistent"), errc::not_found));
}

}  // namespace
