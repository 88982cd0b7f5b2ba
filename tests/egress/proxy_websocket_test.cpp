// The real bottle-egress binary: WebSocket upgrades over absolute-URI HTTP.
#include "egress_fixture.hpp"

namespace {

using namespace bottle::egress::testing;

/// Answers the first request head with 101 and then echoes; remembers the head.
struct upgrading_server {
    std::mutex mutex;
    std::string head;
    tcp_server server{"127.0.0.2", [this](int c) {
                          const std::string h = recv_head(c);
                          {
                              std::lock_guard lock(mutex);
                              head = h;
                          }
                          send_all(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
                          char buf[4096];
                          for (;;) {
                              const ssize_t n = ::recv(c, buf, sizeof buf, 0);
                              if (n <= 0) return;
                              send_all(c, std::string(buf, static_cast<std::size_t>(n)));
                          }
                      }};
};

struct ProxyWebSocket : EgressProxy {
    upgrading_server up;
    std::string authority() { return "ws.example.com:" + std::to_string(up.server.port()); }
    void start_ws() { start({"--allow", authority(), "--resolve", "ws.example.com=127.0.0.2", "--permit", "127.0.0.0/8"}); }
};

TEST_F(ProxyWebSocket, UpgradeToAnAllowedRouteBecomesATunnel) {
    start_ws();
    const int c = connect_proxy();
    send_all(c, "GET http://" + authority() + "/socket HTTP/1.1\r\nHost: " + authority() +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n\r\n");
    const std::string head = recv_head(c);
    EXPECT_EQ(head.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u) << head;
    EXPECT_NE(head.find("Upgrade: websocket\r\n"), std::string::npos);
    send_all(c, "\x81\x05hello");
    EXPECT_EQ(recv_some(c, 7), "\x81\x05hello");
    ::close(c);
    std::lock_guard lock(up.mutex);
    EXPECT_NE(up.head.find("Upgrade: websocket\r\n"), std::string::npos) << up.head;
    EXPECT_NE(up.head.find("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), std::string::npos);
}

TEST_F(ProxyWebSocket, UpgradeToAnotherHostIsDenied) {
    start_ws();
    const int c = connect_proxy();
    send_all(c, "GET http://evil.example.net/socket HTTP/1.1\r\nHost: evil.example.net\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\n\r\n");
    EXPECT_TRUE(is_status(recv_head(c), 403));
    ::close(c);
}

TEST_F(ProxyWebSocket, A101ThatWasNotAskedForIs502) {
    start_ws();
    const int c = connect_proxy();
    send_all(c, "GET http://" + authority() + "/ HTTP/1.1\r\nHost: " + authority() + "\r\n\r\n");
    const std::string head = recv_head(c);
    EXPECT_TRUE(is_status(head, 502)) << head;
    ::close(c);
}

}  // namespace
