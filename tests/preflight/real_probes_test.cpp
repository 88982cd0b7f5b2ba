#include "bottle-preflight/real_probes.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

namespace {

using namespace bottle::preflight;
using bottle::errc;
using clock_type = std::chrono::steady_clock;

class RealProbes : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/bottle-preflight-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    /// A listening unix socket at dir_/name; returns the listener fd.
    int listen_at(const std::string& name, bool do_listen = true) {
        const std::string path = dir_ + "/" + name;
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        if (do_listen) {
            EXPECT_EQ(::listen(fd, 4), 0);
        }
        return fd;
    }

    std::string dir_;
    real_probes probes_;
};

TEST_F(RealProbes, RunCapturesOutputAndExitCode) {
    auto r = probes_.run({"/bin/sh", "-c", "echo hi; echo err >&2; exit 3"}, std::chrono::seconds(5));
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    EXPECT_EQ(r->exit_code, 3);
    EXPECT_FALSE(r->timed_out);
    EXPECT_EQ(r->out, "hi\n");
    EXPECT_EQ(r->err, "err\n");
}

TEST_F(RealProbes, RunSetsCLocaleAndEmptyStdin) {
    auto r = probes_.run({"/bin/sh", "-c", "echo \"$LC_ALL\"; cat; echo done"}, std::chrono::seconds(5));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->out, "C\ndone\n");
    EXPECT_EQ(r->exit_code, 0);
}

TEST_F(RealProbes, RunKillsAHungCommandAtTheDeadline) {
    const auto start = clock_type::now();
    auto r = probes_.run({"/bin/sleep", "30"}, std::chrono::milliseconds(300));
    const auto took = clock_type::now() - start;
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->timed_out);
    EXPECT_EQ(r->exit_code, -1);
    EXPECT_LT(took, std::chrono::seconds(3));
    EXPECT_GE(took, std::chrono::milliseconds(250));
}

TEST_F(RealProbes, RunDoesNotWaitForAGrandchildHoldingThePipe) {
    const auto start = clock_type::now();
    auto r = probes_.run({"/bin/sh", "-c", "sleep 2 & echo started"}, std::chrono::seconds(10));
    const auto took = clock_type::now() - start;
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->timed_out);
    EXPECT_EQ(r->exit_code, 0);
    EXPECT_EQ(r->out, "started\n");
    EXPECT_LT(took, std::chrono::milliseconds(1500));
}

TEST_F(RealProbes, RunCapsOutput) {
    auto r = probes_.run({"/bin/sh", "-c", "head -c 1000000 /dev/zero"}, std::chrono::seconds(10));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->exit_code, 0) << "the child was never blocked on a full pipe";
    EXPECT_EQ(r->out.size(), detail::max_captured_output);
}

TEST_F(RealProbes, RunRejectsRelativeOrMissingPrograms) {
    EXPECT_TRUE(bottle::failed_with(probes_.run({"sh", "-c", "true"}, std::chrono::seconds(1)), errc::invalid_argument));
    EXPECT_TRUE(bottle::failed_with(probes_.run({}, std::chrono::seconds(1)), errc::invalid_argument));
    EXPECT_TRUE(probes_.run({dir_ + "/no-such-program"}, std::chrono::seconds(1)).has_error());
}

TEST_F(RealProbes, ReadFile) {
    auto status = probes_.read_file("/proc/self/status");
    ASSERT_TRUE(status.has_value());
    EXPECT_NE(status->find("Pid:"), std::string::npos);
    EXPECT_TRUE(bottle::failed_with(probes_.read_file(dir_ + "/absent"), errc::not_found));
    EXPECT_TRUE(bottle::failed_with(probes_.read_file("/dev/zero"), errc::limit_exceeded));
}

TEST_F(RealProbes, StatKinds) {
    EXPECT_EQ(probes_.stat("/dev/null").value().kind, file_kind::character_device);
    EXPECT_EQ(probes_.stat(dir_).value().kind, file_kind::directory);
    EXPECT_EQ(probes_.stat(dir_ + "/absent").value().kind, file_kind::missing);
    EXPECT_EQ(probes_.stat("/proc/self/status").value().kind, file_kind::regular);
    const int fd = listen_at("s.sock");
    EXPECT_EQ(probes_.stat(dir_ + "/s.sock").value().kind, file_kind::socket);
    ::close(fd);
}

TEST_F(RealProbes, FindInPath) {
    auto sh = probes_.find_in_path("sh");
    ASSERT_TRUE(sh.has_value());
    EXPECT_EQ(sh->front(), '/');
    EXPECT_FALSE(probes_.find_in_path("bottle-no-such-binary-3f9a").has_value());
    EXPECT_FALSE(probes_.find_in_path("bin/sh").has_value()) << "names only, never paths";
    EXPECT_FALSE(probes_.find_in_path("").has_value());
}

TEST_F(RealProbes, OpenReadWriteAndSystemFacts) {
    EXPECT_EQ(probes_.open_read_write("/dev/null"), 0);
    EXPECT_EQ(probes_.open_read_write(dir_ + "/absent"), ENOENT);
    const auto ll = probes_.landlock_abi_version();
    EXPECT_TRUE((ll.error == 0 && ll.value >= 1) || (ll.error != 0 && ll.value == -1));
    EXPECT_EQ(probes_.os_name(), "Linux");
    EXPECT_EQ(probes_.effective_uid(), static_cast<unsigned>(::geteuid()));
    EXPECT_FALSE(probes_.getenv("BOTTLE_SURELY_UNSET_VARIABLE").has_value());
}

TEST_F(RealProbes, UnixHttpGetTalksHttp10) {
    const int listener = listen_at("d.sock");
    std::string request;
    std::thread server([&] {
        const int c = ::accept(listener, nullptr, nullptr);
        char buf[1024];
        while (request.find("\r\n\r\n") == std::string::npos) {
            const ssize_t n = ::read(c, buf, sizeof buf);
            if (n <= 0) break;
            request.append(buf, static_cast<std::size_t>(n));
        }
        const std::string reply = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nOK";
        (void)!::write(c, reply.data(), reply.size());
        ::close(c);
    });
    auto r = probes_.unix_http_get(dir_ + "/d.sock", "/_ping", std::chrono::seconds(3));
    server.join();
    ::close(listener);
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "OK");
    EXPECT_EQ(request.rfind("GET /_ping HTTP/1.0\r\n", 0), 0u) << request;
}

TEST_F(RealProbes, UnixHttpGetTimesOutOnASilentServer) {
    const int listener = listen_at("silent.sock");  // accepts (backlog) but never answers
    const auto start = clock_type::now();
    auto r = probes_.unix_http_get(dir_ + "/silent.sock", "/_ping", std::chrono::milliseconds(300));
    EXPECT_LT(clock_type::now() - start, std::chrono::seconds(3));
    EXPECT_TRUE(bottle::failed_with(r, errc::timeout)) << (r ? "answered" : r.error().describe());
    ::close(listener);
}

TEST_F(RealProbes, UnixHttpGetErrors) {
    EXPECT_TRUE(bottle::failed_with(probes_.unix_http_get(dir_ + "/none.sock", "/_ping", std::chrono::seconds(1)),
                                    errc::not_found));
    const int bound = listen_at("refuse.sock", /*do_listen=*/false);
    auto refused = probes_.unix_http_get(dir_ + "/refuse.sock", "/_ping", std::chrono::seconds(1));
    EXPECT_TRUE(bottle::failed_with(refused, errc::io_error)) << (refused ? "answered" : refused.error().describe());
    ::close(bound);
    EXPECT_TRUE(bottle::failed_with(probes_.unix_http_get("relative.sock", "/", std::chrono::seconds(1)),
                                    errc::invalid_argument));

    const int listener = listen_at("junk.sock");
    std::thread server([&] {
        const int c = ::accept(listener, nullptr, nullptr);
        const std::string reply = "SSH-2.0-OpenSSH\r\n";
        (void)!::write(c, reply.data(), reply.size());
        ::close(c);
    });
    auto junk = probes_.unix_http_get(dir_ + "/junk.sock", "/_ping", std::chrono::seconds(3));
    server.join();
    ::close(listener);
    EXPECT_TRUE(bottle::failed_with(junk, errc::io_error));
}

}  // namespace
