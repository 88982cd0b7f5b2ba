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

/// A one-line HTTP server on the host's loopback (127.0.0.1 unless told, a port of its own).
class upstream {
public:
    explicit upstream(std::uint32_t address = INADDR_LOOPBACK) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(address);
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
                const ssize_t n = ::read(c, buf, sizeof buf);
                if (n > 0) bytes_ += n;
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
    [[nodiscard]] long bytes() const { return bytes_; }

private:
    int fd_ = -1, port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> hits_{0};
    std::atomic<long> bytes_{0};
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

// A route with "tls": false reaches bottle-egress as --allow-tunnel: its
// CONNECT tunnel may carry plain bytes (curl -p tunnels plain HTTP), while a
// tunnel on an ordinary route must still carry TLS and is closed.
TEST(RunProxy, TlsFalseRouteLetsPlainBytesThroughItsTunnelOnly) {
    if (!fs::exists(bottle_run_binary) || !fs::exists(egress)) GTEST_SKIP() << "build bottle-run and bottle-egress first";
    if (!fs::exists("/usr/bin/curl")) GTEST_SKIP() << "curl is not installed";
    upstream plain, tls_only(INADDR_LOOPBACK + 1);  // 127.0.0.2: a manifest names each host once
    ASSERT_GT(plain.port(), 0);
    ASSERT_GT(tls_only.port(), 0);
    temp_dir dir{"bottle-run-tunnel"};
    const std::string a = std::to_string(plain.port()), b = std::to_string(tls_only.port());
    std::ofstream(dir.path() / "m.json") << R"({"bottles":{"git":{"egress":[{"host":"127.0.0.1","ports":[)" << a
                                          << R"(],"tls":false},{"host":"127.0.0.2","ports":[)" << b << "]}]}}}";
    bottle::os::spawn_request r;
    r.argv = {bottle_run_binary, "--manifest", (dir.path() / "m.json").string(), "--bottle", "git", "--", "sh", "-c",
              "curl -sS -p -w ' %{http_code}\\n' http://127.0.0.1:" + a + "/ ; "
              "curl -sS -p -o /dev/null -w 'tls-route %{http_code}\\n' http://127.0.0.2:" + b + "/ ; true"};
    r.env = std::vector<std::string>{"PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + dir.path().string()};
    r.timeout = std::chrono::seconds(30);
    auto out = bottle::os::spawn(r);
    ASSERT_TRUE(out) << out.error().message;
    ASSERT_EQ(out->exit_code, 0) << out->err;
    EXPECT_NE(out->out.find("upstream-says-hi 200\n"), std::string::npos) << "plain bytes through the tls:false tunnel: " << out->out << out->err;
    EXPECT_EQ(out->out.find("tls-route 200"), std::string::npos) << "plain bytes on an ordinary route: " << out->out;
    EXPECT_EQ(plain.hits(), 1);
    EXPECT_EQ(tls_only.bytes(), 0) << "the proxy closed the non-TLS tunnel before a byte reached the upstream";
    // --dry-run shows the route as a tunnel.
    r.argv = {bottle_run_binary, "--manifest", (dir.path() / "m.json").string(), "--bottle", "git", "--dry-run", "--", "true"};
    auto plan = bottle::os::spawn(r);
    ASSERT_TRUE(plan) << plan.error().message;
    EXPECT_NE(plan->out.find("\"egress_tunnels\":[\"127.0.0.1:" + a + "\"]"), std::string::npos) << plan->out;
}

}  // namespace
