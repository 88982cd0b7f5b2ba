// The bottle's one way out: bottle-egress serves a listener made inside the
// bottle's network namespace. An allowed upstream (on the host's loopback,
// which the proxy outside can reach and the bottle cannot) answers through
// it; a denied host gets 403; going around the proxy fails.
#include "support/temp_dir.hpp"

#include "bottle/os/spawn.hpp"

#include "bottle_run_process.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

namespace {

namespace fs = std::filesystem;
using bottle::test_support::temp_dir;

using bottle::test_support::bottle_run_binary;
const std::string egress = BOTTLE_BINARY_DIR "/tools/bottle-egress/bottle-egress";

/// A one-line HTTP server on the host's 127.0.0.1 (a port of its own).
class upstream {
public:
    upstream() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0) return;
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] {
            while (true) {
                const int c = ::accept(fd_, nullptr, nullptr);
                if (c < 0 || stop_) {
                    if (c >= 0) ::close(c);
                    return;
                }
                char buf[4096];
                (void)::read(c, buf, sizeof buf);
                ++hits_;
                const std::string body = "upstream-says-hi";
                const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                                         "\r\nConnection: close\r\n\r\n" + body;
                (void)::write(c, resp.data(), resp.size());
                ::close(c);
            }
        });
    }
    ~upstream() {
        stop_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        if (thread_.joinable()) thread_.join();
        ::close(fd_);
    }
    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] int hits() const { return hits_; }

private:
    int fd_ = -1, port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> hits_{0};
    std::thread thread_;
};

TEST(RunProxy, AllowedUpstreamAnswersDeniedHostGets403) {
    if (!fs::exists(bottle_run_binary) || !fs::exists(egress)) GTEST_SKIP() << "build bottle-run and bottle-egress first";
    if (!fs::exists("/usr/bin/curl")) GTEST_SKIP() << "curl is not installed";
    upstream up;
    ASSERT_GT(up.port(), 0);
    temp_dir dir{"bottle-run-proxy"};
    const std::string port = std::to_string(up.port());
    std::ofstream(dir.path() / "m.json") << R"({"bottles":{"web":{"egress":[{"host":"127.0.0.1","ports":[)" << port << "]}]}}}";
    bottle::os::spawn_request r;
    r.argv = {bottle_run_binary, "--manifest", (dir.path() / "m.json").string(), "--bottle", "web", "--", "sh", "-c",
              "curl -sS -w ' %{http_code}\\n' http://127.0.0.1:" + port + "/ ; "
              "curl -sS -o /dev/null -w '%{http_code}\\n' http://denied.example/ ; "
              "curl -sS --noproxy '*' -o /dev/null -w '%{http_code}\\n' http://127.0.0.1:" + port + "/ ; true"};
    r.env = std::vector<std::string>{"PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + dir.path().string()};
    r.timeout = std::chrono::seconds(30);
    auto out = bottle::os::spawn(r);
    ASSERT_TRUE(out) << out.error().message;
    ASSERT_EQ(out->exit_code, 0) << out->err;
    EXPECT_NE(out->out.find("upstream-says-hi 200\n"), std::string::npos) << out->out << out->err;
    EXPECT_NE(out->out.find("\n403\n"), std::string::npos) << "a host outside the routes is refused: " << out->out;
    EXPECT_NE(out->out.find("\n000\n"), std::string::npos) << "around the proxy: the bottle's loopback is its own: " << out->out;
    EXPECT_EQ(up.hits(), 1) << "only the proxied request reached the upstream";
    // The decision log outlives the bottle and names the denied host.
    std::string log;
    for (const auto& e : fs::directory_iterator(dir.path() / "bot-bottle"))
        if (e.path().string().find(".egress.log") != std::string::npos) {
            std::ifstream f(e.path());
            log.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        }
    EXPECT_NE(log.find("denied.example"), std::string::npos) << log;
}

}  // namespace
