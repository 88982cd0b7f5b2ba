// The seam: code written against os::system runs on the machine through
// os::real(), and a test can replace one call without touching the rest.
#include "bottle/os/system.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

using bottle::errc;
using bottle::failed_with;
using bottle::result;
namespace os = bottle::os;

/// What a tool might do: run `uname -s` and report the first line, failing
/// closed when the command did not run or did not succeed.
result<std::string> kernel_name(os::system& sys) {
    os::spawn_request r;
    r.argv = {"uname", "-s"};
    auto out = sys.spawn(r);
    if (!out) return out.error();
    if (!out->succeeded()) return bottle::make_error(errc::io_error, "uname failed");
    return out->out.substr(0, out->out.find('\n'));
}

/// Forwards to the machine except for spawn, which returns what it is told.
class scripted_spawn final : public os::system {
public:
    result<os::spawn_output> next = bottle::make_error(errc::internal, "nothing scripted");
    std::vector<std::vector<std::string>> asked;

    result<os::spawn_output> spawn(const os::spawn_request& request) override {
        asked.push_back(request.argv);
        return next;
    }
    result<std::string> read_file(const std::string& path, std::size_t max) override {
        return os::real().read_file(path, max);
    }
    result<void> write_file(const std::string& path, std::string_view data, mode_t mode) override {
        return os::real().write_file(path, data, mode);
    }
    result<void> enter_netns(const std::string& path) override { return os::real().enter_netns(path); }
    result<void> send_fds(int socket, std::span<const int> fds, std::string_view payload) override {
        return os::real().send_fds(socket, fds, payload);
    }
    result<os::received_fds> receive_fds(int socket, std::size_t max_fds, std::size_t max_payload) override {
        return os::real().receive_fds(socket, max_fds, max_payload);
    }
    result<void> kill_group(int pgid, int sig) override { return os::real().kill_group(pgid, sig); }
};

TEST(System, TheRealSystemRunsOnTheMachine) {
    auto name = kernel_name(os::real());
    ASSERT_TRUE(name) << name.error().describe();
    EXPECT_EQ(*name, "Linux");
    EXPECT_EQ(&os::real(), &os::real()) << "one instance";
}

TEST(System, AFakeReplacesExactlyOneCall) {
    scripted_spawn fake;
    os::spawn_output out;
    out.exit_code = 0;
    out.out = "Plan9\nmore\n";
    fake.next = out;
    EXPECT_EQ(kernel_name(fake).value(), "Plan9");
    ASSERT_EQ(fake.asked.size(), 1u);
    EXPECT_EQ(fake.asked[0], (std::vector<std::string>{"uname", "-s"}));

    out.exit_code = 1;
    fake.next = out;
    EXPECT_TRUE(failed_with(kernel_name(fake), errc::io_error)) << "a failing command is not a kernel name";
    fake.next = bottle::make_error(errc::not_found, "cannot run uname: not found");
    EXPECT_TRUE(failed_with(kernel_name(fake), errc::not_found));

    // The other calls still reach the machine.
    EXPECT_TRUE(fake.read_file("/proc/self/stat", 4096));
    EXPECT_TRUE(failed_with(fake.kill_group(0, SIGKILL), errc::invalid_argument));
}

TEST(System, RealForwardsEveryCall) {
    auto& sys = os::real();
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    os::unique_fd a(sv[0]), b(sv[1]);
    const int fds[] = {a.get()};
    ASSERT_TRUE(sys.send_fds(a.get(), fds, "p"));
    auto got = sys.receive_fds(b.get(), 1, 16);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->payload, "p");
    EXPECT_EQ(got->fds.size(), 1u);
    EXPECT_TRUE(failed_with(sys.enter_netns("/nonexistent"), errc::not_found));
    EXPECT_TRUE(failed_with(sys.write_file("/nonexistent/dir/file", "x", 0600), errc::not_found));
}

}  // namespace
