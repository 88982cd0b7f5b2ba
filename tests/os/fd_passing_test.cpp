#include "bottle/os/fd_passing.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace {

using bottle::errc;
using bottle::failed_with;
using bottle::os::receive_fds;
using bottle::os::send_fds;
using bottle::os::unique_fd;

struct socket_pair {
    unique_fd a, b;
    explicit socket_pair(int type = SOCK_SEQPACKET) {
        int sv[2];
        if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) == 0) {
            a.reset(sv[0]);
            b.reset(sv[1]);
        }
    }
};

struct pipe_pair {
    unique_fd r, w;
    pipe_pair() {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) == 0) {
            r.reset(p[0]);
            w.reset(p[1]);
        }
    }
};

std::size_t open_fd_count() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

TEST(FdPassing, ReceivedDescriptorWorksAndPayloadIsIntact) {
    socket_pair s;
    ASSERT_TRUE(s.a && s.b);
    pipe_pair p;
    ASSERT_TRUE(p.r && p.w);
    const int fds[] = {p.w.get()};
    const std::string payload("listener\0v1", 11);
    ASSERT_TRUE(send_fds(s.a.get(), fds, payload));

    auto got = receive_fds(s.b.get(), 4);
    ASSERT_TRUE(got) << got.error().describe();
    EXPECT_EQ(got->payload, payload);
    ASSERT_EQ(got->fds.size(), 1u);
    const int received = got->fds[0].get();
    EXPECT_NE(received, p.w.get()) << "a new descriptor for the same pipe";
    EXPECT_NE(::fcntl(received, F_GETFD) & FD_CLOEXEC, 0) << "received descriptors are close-on-exec";

    p.w.reset();  // only the received copy can write now
    ASSERT_EQ(::write(received, "via fd", 6), 6);
    got->fds.clear();  // closes it: the pipe reaches end of file
    char buf[16];
    ASSERT_EQ(::read(p.r.get(), buf, sizeof buf), 6);
    EXPECT_EQ(std::string(buf, 6), "via fd");
    EXPECT_EQ(::read(p.r.get(), buf, sizeof buf), 0);
}

TEST(FdPassing, SeveralDescriptorsKeepTheirOrder) {
    socket_pair s;
    pipe_pair p1, p2, p3;
    const int fds[] = {p1.w.get(), p2.w.get(), p3.w.get()};
    ASSERT_TRUE(send_fds(s.a.get(), fds, "3"));
    auto got = receive_fds(s.b.get(), 3);
    ASSERT_TRUE(got);
    ASSERT_EQ(got->fds.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        struct stat sent {}, received {};
        ASSERT_EQ(::fstat(fds[i], &sent), 0);
        ASSERT_EQ(::fstat(got->fds[i].get(), &received), 0);
        EXPECT_EQ(sent.st_ino, received.st_ino) << "descriptor " << i;
    }
}

TEST(FdPassing, PayloadWithoutDescriptors) {
    socket_pair s;
    ASSERT_TRUE(send_fds(s.a.get(), {}, "hello"));
    auto got = receive_fds(s.b.get(), 0);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->payload, "hello");
    EXPECT_TRUE(got->fds.empty());
}

TEST(FdPassing, AcrossProcesses) {
    socket_pair s(SOCK_STREAM);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // The child makes a pipe the parent never had, fills it, passes its
        // read end and exits.
        int p[2];
        if (::pipe(p) != 0 || ::write(p[1], "child data", 10) != 10) ::_exit(2);
        ::close(p[1]);
        const int fds[] = {p[0]};
        ::_exit(send_fds(s.a.get(), fds, "from child") ? 0 : 1);
    }
    s.a.reset();
    auto got = receive_fds(s.b.get(), 1);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ASSERT_TRUE(got) << got.error().describe();
    EXPECT_EQ(got->payload, "from child");
    ASSERT_EQ(got->fds.size(), 1u);
    char buf[64] = {};
    ASSERT_EQ(::read(got->fds[0].get(), buf, sizeof buf), 10) << "readable in the parent";
    EXPECT_EQ(std::string(buf, 10), "child data");
    EXPECT_TRUE(failed_with(receive_fds(s.b.get(), 1), errc::not_found)) << "the child is gone: end of file";
}

TEST(FdPassing, TooManyDescriptorsAreRefusedAndClosed) {
    socket_pair s;
    pipe_pair p1, p2, p3;
    const int fds[] = {p1.w.get(), p2.w.get(), p3.w.get()};
    ASSERT_TRUE(send_fds(s.a.get(), fds, "x"));
    const std::size_t before = open_fd_count();
    auto got = receive_fds(s.b.get(), 1);
    EXPECT_TRUE(failed_with(got, errc::limit_exceeded));
    EXPECT_EQ(open_fd_count(), before) << "nothing that arrived is left open";
}

TEST(FdPassing, OversizedPayloadIsRefused) {
    socket_pair s;
    pipe_pair p;
    const int fds[] = {p.w.get()};
    ASSERT_TRUE(send_fds(s.a.get(), fds, std::string(100, 'x')));
    const std::size_t before = open_fd_count();
    EXPECT_TRUE(failed_with(receive_fds(s.b.get(), 1, 99), errc::limit_exceeded));
    EXPECT_EQ(open_fd_count(), before);
    ASSERT_TRUE(send_fds(s.a.get(), fds, std::string(99, 'x')));
    EXPECT_TRUE(receive_fds(s.b.get(), 1, 99)) << "exactly the limit is fine";
}

TEST(FdPassing, SendRejectsBadArguments) {
    socket_pair s;
    pipe_pair p;
    const int one[] = {p.w.get()};
    EXPECT_TRUE(failed_with(send_fds(s.a.get(), one, ""), errc::invalid_argument));
    const int negative[] = {-1};
    EXPECT_TRUE(failed_with(send_fds(s.a.get(), negative, "x"), errc::invalid_argument));
    std::vector<int> many(bottle::os::max_passed_fds + 1, p.w.get());
    EXPECT_TRUE(failed_with(send_fds(s.a.get(), many, "x"), errc::invalid_argument));
    // Not a socket at all.
    EXPECT_TRUE(failed_with(send_fds(p.w.get(), one, "x"), errc::io_error));
}

TEST(FdPassing, SendToAClosedPeerIsAnErrorNotSigpipe) {
    socket_pair s(SOCK_STREAM);
    s.b.reset();
    pipe_pair p;
    const int one[] = {p.w.get()};
    EXPECT_TRUE(failed_with(send_fds(s.a.get(), one, "x"), errc::io_error));
}

}  // namespace
