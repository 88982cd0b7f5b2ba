#include "bottle/os/signals.hpp"

#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

namespace {

using bottle::errc;
using bottle::failed_with;
namespace os = bottle::os;
using namespace std::chrono_literals;

bool blocked_now(int sig) {
    sigset_t current;
    ::pthread_sigmask(SIG_BLOCK, nullptr, &current);
    return sigismember(&current, sig) == 1;
}

bool dead_within(pid_t pid, int ms) {
    for (int i = 0; i < ms / 10; ++i) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        if (!std::getline(stat, line)) return true;
        const auto paren = line.rfind(')');
        if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z') return true;
        ::usleep(10'000);
    }
    return false;
}

TEST(Signals, BlockedForAScopeThenRestored) {
    ASSERT_FALSE(blocked_now(SIGUSR1));
    {
        auto block = os::blocked_signals::block({SIGUSR1, SIGUSR2});
        ASSERT_TRUE(block);
        EXPECT_TRUE(blocked_now(SIGUSR1));
        EXPECT_TRUE(blocked_now(SIGUSR2));
        auto moved = std::move(*block);  // the moved-from one must not restore early
    }
    EXPECT_FALSE(blocked_now(SIGUSR1));
    EXPECT_FALSE(blocked_now(SIGUSR2));
}

TEST(Signals, RestoresAnAlreadyBlockedSignalAsBlocked) {
    auto outer = os::blocked_signals::block({SIGUSR1});
    ASSERT_TRUE(outer);
    { auto inner = os::blocked_signals::block({SIGUSR1}); }
    EXPECT_TRUE(blocked_now(SIGUSR1)) << "the inner scope restores the mask it found";
}

TEST(Signals, SignalFdDeliversBlockedSignalsAsData) {
    auto block = os::blocked_signals::block({SIGUSR2});
    ASSERT_TRUE(block);
    auto fd = os::signal_fd::open({SIGUSR2});
    ASSERT_TRUE(fd) << fd.error().describe();
    auto none = fd->wait(0ms);
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->has_value());

    ASSERT_EQ(::pthread_kill(::pthread_self(), SIGUSR2), 0);  // would end the process if not blocked
    auto got = fd->wait(1s);
    ASSERT_TRUE(got);
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ(**got, SIGUSR2);
    auto again = fd->wait(20ms);
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->has_value()) << "consumed once";
}

TEST(Signals, InvalidSignalNumbers) {
    EXPECT_TRUE(failed_with(os::blocked_signals::block({0, 100000}), errc::invalid_argument));
    EXPECT_TRUE(failed_with(os::signal_fd::open({-3}), errc::invalid_argument));
}

TEST(Signals, KillGroupEndsEveryMember) {
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t leader = ::fork();
    ASSERT_GE(leader, 0);
    if (leader == 0) {
        ::setpgid(0, 0);
        if (::fork() == 0) {  // a member of the same group
            const pid_t self = ::getpid();
            (void)!::write(ready[1], &self, sizeof self);
            ::pause();
            ::_exit(0);
        }
        ::pause();
        ::_exit(0);
    }
    ::setpgid(leader, leader);
    ::close(ready[1]);
    pid_t member = 0;
    ASSERT_EQ(::read(ready[0], &member, sizeof member), static_cast<ssize_t>(sizeof member));
    ::close(ready[0]);

    EXPECT_FALSE(dead_within(member, 50)) << "alive before the kill";
    ASSERT_TRUE(os::kill_group(leader, SIGKILL));
    int status = 0;
    ASSERT_EQ(::waitpid(leader, &status, 0), leader);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    // The member was reparented, so we cannot wait for it: it is dead once
    // it is gone or a zombie (its new parent may be slow to reap).
    EXPECT_TRUE(dead_within(member, 2000)) << "member " << member << " survived";
}

TEST(Signals, KillGroupRefusesGroupsThatHitTheCallerOrEveryone) {
    EXPECT_TRUE(failed_with(os::kill_group(0, SIGKILL), errc::invalid_argument));
    EXPECT_TRUE(failed_with(os::kill_group(1, SIGKILL), errc::invalid_argument));
    EXPECT_TRUE(failed_with(os::kill_group(-1, SIGKILL), errc::invalid_argument));
    // A group that does not exist (pid_max is at most 2^22).
    EXPECT_TRUE(failed_with(os::kill_group(1 << 23, 0), errc::not_found));
}

}  // namespace
