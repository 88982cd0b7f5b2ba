// An interactive launch: bottle-run's stdin is a terminal (a pty the test
// holds), the agent gets a pty of its own with the same window size, and the
// user's terminal is restored afterwards.
#include "bottle_run_process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace {

using bottle::test_support::bottle_run_binary;

TEST(RunPty, AgentGetsItsOwnTerminalWithTheWindowSize) {
    if (!std::filesystem::exists(bottle_run_binary)) GTEST_SKIP() << "build bottle-run first";
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(master, 0);
    ASSERT_EQ(::grantpt(master), 0);
    ASSERT_EQ(::unlockpt(master), 0);
    const std::string slave_name = ::ptsname(master);
    const int slave = ::open(slave_name.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(slave, 0);
    winsize ws{};
    ws.ws_row = 33;
    ws.ws_col = 101;
    ASSERT_EQ(::ioctl(master, TIOCSWINSZ, &ws), 0);
    termios before{};
    ASSERT_EQ(::tcgetattr(slave, &before), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::setsid();
        ::ioctl(slave, TIOCSCTTY, 0);
        for (int fd = 0; fd < 3; ++fd) ::dup2(slave, fd);
        ::execl(bottle_run_binary.c_str(), bottle_run_binary.c_str(), "--", "sh", "-c",
                "stty size; test -t 0 && echo tty-ok; readlink /proc/self/fd/0; exit 3", nullptr);
        _exit(99);
    }
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    bool exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{master, POLLIN, 0};
        if (::poll(&p, 1, 50) > 0) {
            char buf[1024];
            const ssize_t n = ::read(master, buf, sizeof buf);
            if (n > 0) out.append(buf, static_cast<std::size_t>(n));
        }
        if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) exited = true;
        if (exited && ::poll(&p, 1, 0) <= 0) break;
    }
    ASSERT_TRUE(exited) << out;
    EXPECT_EQ(WEXITSTATUS(status), 3) << out;
    EXPECT_NE(out.find("33 101"), std::string::npos) << "the window size reached the agent's pty: " << out;
    EXPECT_NE(out.find("tty-ok"), std::string::npos) << out;
    EXPECT_EQ(out.find(slave_name), std::string::npos) << "the agent's terminal is not the user's: " << out;
    termios after{};
    ASSERT_EQ(::tcgetattr(slave, &after), 0);
    EXPECT_EQ(after.c_lflag, before.c_lflag) << "the user's terminal is restored (not left raw)";
    EXPECT_EQ(after.c_iflag, before.c_iflag);
    ::close(slave);
    ::close(master);
}

}  // namespace
