// The real bottle-egress binary against loopback upstreams: a kept-alive
// upstream connection that turns out closed. A request that is safe to
// replay (no body, idempotent method) goes once more on a fresh connection;
// anything else is a 502 and reaches the upstream at most once.
#include "egress_fixture.hpp"

namespace {

using namespace bottle::egress::testing;

/// An HTTP upstream whose connections serve `answered` requests with
/// keep-alive and then close: either at once after the last answer
/// (`close_when_idle`), or only when the next request head has arrived,
/// unanswered (a keep-alive timeout firing as the request comes in).
class closing_upstream {
public:
    closing_upstream(int answered, bool close_when_idle)
        : server_("127.0.0.2", [this, answered, close_when_idle](int c) {
              std::string buf;
              char tmp[4096];
              for (int served = 0;; ++served) {
                  if (served == answered && close_when_idle) return;
                  std::size_t end;
                  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
                      const ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
                      if (n <= 0) return;
                      buf.append(tmp, static_cast<std::size_t>(n));
                  }
                  const std::string head = buf.substr(0, end + 4);
                  buf.erase(0, end + 4);
                  std::string reply;
                  {
                      std::lock_guard lock(mutex_);
                      heads_.push_back(head);
                      if (served == answered) return;  // read, never answered: the connection just closes
                      reply = "answer " + std::to_string(++answers_);
                  }
                  send_all(c, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(reply.size()) + "\r\n\r\n" + reply);
              }
          }) {}
    [[nodiscard]] std::uint16_t port() const { return server_.port(); }
    [[nodiscard]] int accepted() const { return server_.accepted(); }
    [[nodiscard]] std::vector<std::string> heads() {
        std::lock_guard lock(mutex_);
        return heads_;
    }

private:
    std::mutex mutex_;
    std::vector<std::string> heads_;
    int answers_ = 0;
    tcp_server server_;
};

struct ProxyKeepAlive : EgressProxy {
    std::string authority(std::uint16_t p) const { return "svc.example.com:" + std::to_string(p); }
    void start_for(std::uint16_t p) {
        start({"--allow", authority(p), "--resolve", "svc.example.com=127.0.0.2", "--permit", "127.0.0.0/8"});
    }
    std::string request(std::uint16_t p, const std::string& method, const std::string& path, const std::string& body = "") const {
        return method + " http://" + authority(p) + path + " HTTP/1.1\r\nHost: " + authority(p) + "\r\n" +
               (body.empty() && method == "GET" ? "" : "Content-Length: " + std::to_string(body.size()) + "\r\n") + "\r\n" + body;
    }
    static std::string response(int fd) {
        std::string head = recv_head(fd);
        const auto at = head.find("Content-Length: ");
        if (at == std::string::npos) return head;
        return head + recv_some(fd, std::stoul(head.substr(at + 16)));
    }
};

TEST_F(ProxyKeepAlive, AnIdempotentRequestIsRetriedOnceWhenTheKeptAliveUpstreamClosesUnanswered) {
    closing_upstream up(1, false);
    start_for(up.port());
    const int c = connect_proxy();
    send_all(c, request(up.port(), "GET", "/one"));
    EXPECT_NE(response(c).find("answer 1"), std::string::npos);
    send_all(c, request(up.port(), "GET", "/two"));
    const std::string second = response(c);
    EXPECT_TRUE(is_status(second, 200)) << second;
    EXPECT_NE(second.find("answer 2"), std::string::npos) << second;
    ::close(c);
    const auto heads = up.heads();
    ASSERT_EQ(heads.size(), 3u);  // /one, /two on the stale connection (unanswered), /two again
    EXPECT_EQ(heads[1].rfind("GET /two ", 0), 0u);
    EXPECT_EQ(heads[2].rfind("GET /two ", 0), 0u);
    EXPECT_EQ(up.accepted(), 2);
    const auto log = wait_for_decisions(log_path, 2);
    ASSERT_TRUE(log.valid);
    ASSERT_EQ(log.decisions.size(), 2u) << log.raw;
    EXPECT_EQ(str(log.decisions[1], "decision"), "allow");
    EXPECT_NE(str(log.decisions[1], "reason").find("retried on a fresh connection"), std::string::npos) << log.raw;
    EXPECT_EQ(str(log.decisions[0], "reason").find("retried"), std::string::npos) << log.raw;
}

TEST_F(ProxyKeepAlive, AnUpstreamThatClosedWhileIdleIsDialedAfresh) {
    closing_upstream up(1, true);
    start_for(up.port());
    const int c = connect_proxy();
    for (const char* path : {"/a", "/b", "/c"}) {
        send_all(c, request(up.port(), "GET", path));
        const std::string r = response(c);
        EXPECT_TRUE(is_status(r, 200)) << path << "\n" << r;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the upstream's FIN arrives meanwhile
    }
    ::close(c);
    EXPECT_EQ(up.heads().size(), 3u);  // each sent once: the closed connection was noticed before use
    EXPECT_EQ(up.accepted(), 3);
}

TEST_F(ProxyKeepAlive, ARequestWithABodyIsNotReplayed) {
    closing_upstream up(1, false);
    start_for(up.port());
    const int c = connect_proxy();
    send_all(c, request(up.port(), "GET", "/one"));
    EXPECT_NE(response(c).find("answer 1"), std::string::npos);
    send_all(c, request(up.port(), "PUT", "/thing", "payload"));
    const std::string r = recv_head(c);
    EXPECT_TRUE(is_status(r, 502)) << r;
    ::close(c);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto heads = up.heads();
    ASSERT_EQ(heads.size(), 2u);
    EXPECT_EQ(heads[1].rfind("PUT /thing ", 0), 0u);
    EXPECT_EQ(up.accepted(), 1);
}

TEST_F(ProxyKeepAlive, ANonIdempotentRequestIsNotReplayed) {
    closing_upstream up(1, false);
    start_for(up.port());
    const int c = connect_proxy();
    send_all(c, request(up.port(), "GET", "/one"));
    EXPECT_NE(response(c).find("answer 1"), std::string::npos);
    send_all(c, request(up.port(), "POST", "/order"));  // no body, but POST may act twice
    const std::string r = recv_head(c);
    EXPECT_TRUE(is_status(r, 502)) << r;
    EXPECT_NE(r.find("cannot be replayed"), std::string::npos) << r;
    ::close(c);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(up.heads().size(), 2u);
    EXPECT_EQ(up.accepted(), 1);
    const auto log = wait_for_decisions(log_path, 2);
    ASSERT_EQ(log.decisions.size(), 2u) << log.raw;
    EXPECT_EQ(str(log.decisions[1], "decision"), "error");
}

TEST_F(ProxyKeepAlive, AFreshConnectionThatClosesUnansweredIsA502NotARetryLoop) {
    closing_upstream up(0, false);  // every connection reads a request and closes
    start_for(up.port());
    const int c = connect_proxy();
    send_all(c, request(up.port(), "GET", "/one"));
    const std::string r = recv_head(c);
    EXPECT_TRUE(is_status(r, 502)) << r;
    ::close(c);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(up.accepted(), 1);
    EXPECT_EQ(up.heads().size(), 1u);
}

}  // namespace
