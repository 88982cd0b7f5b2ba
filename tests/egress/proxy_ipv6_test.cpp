// The real bottle-egress binary over IPv6 loopback: a listener on [::1],
// clients that reach it over IPv6, and upstreams on ::1 reached through
// --resolve or an AAAA answer of the test's DNS server. ::1 is floored like
// 127.0.0.1, so the happy paths need --permit ::1/128 and the same request
// without it must be refused. Skipped where the host has no ::1.
#include "egress_fixture.hpp"

#include <boost/json/parse.hpp>

namespace {

using namespace bottle::egress::testing;

int tcp6_socket() { return ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0); }

sockaddr_in6 loopback6(std::uint16_t port) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    return a;
}

/// True when a socket can be bound on [::1] here.
bool have_ipv6_loopback() {
    const int fd = tcp6_socket();
    if (fd < 0) return false;
    auto a = loopback6(0);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

int tcp6_connect(std::uint16_t port) {
    const int fd = tcp6_socket();
    auto a = loopback6(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot connect to [::1]:" + std::to_string(port));
    }
    set_timeout(fd, 5000);
    return fd;
}

/// A server on [::1] that counts its connections; `serve` gets each one.
struct server6 : tcp_server {
    explicit server6(std::function<void(int)> serve) : tcp_server("::1", std::move(serve)) {}
};

void echo(int c) {
    char buf[16384];
    for (;;) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) return;
        send_all(c, std::string(buf, static_cast<std::size_t>(n)));
    }
}

/// Answers one request head with a fixed response naming the path.
void answer_once(int c) {
    std::string head = recv_head(c);
    const auto sp = head.find(' ');
    const std::string path = head.substr(sp + 1, head.find(' ', sp + 1) - sp - 1);
    const std::string body = "v6 " + path;
    send_all(c, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
}

struct ProxyIpv6 : EgressProxy {
    void SetUp() override {
        if (!have_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback (::1) on this host";
    }
    /// Starts the proxy listening on [::1] only.
    void start6(std::vector<std::string> args) {
        args.insert(args.end(), {"--listen", "[::1]:0", "--log", log_path.string(), "--nameserver", dns.endpoint(), "--bottle-id", "v6"});
        proxy = std::make_unique<proxy_process>(std::move(args));
        const auto p = proxy->ready();
        ASSERT_TRUE(p.has_value()) << "no ready line: " << proxy->ready_line() << proxy->wait().err;
        port = *p;
    }
    /// A CONNECT over IPv6 with a ClientHello for `name`; true when the
    /// tunnel echoed it back.
    bool tunnel_echoes(const std::string& authority, const std::string& name, std::string* refusal = nullptr) {
        const int c = tcp6_connect(port);
        const std::string head = connect_head(c, authority);
        if (!is_status(head, 200)) {
            if (refusal) *refusal = head;
            ::close(c);
            return false;
        }
        const std::string hello = client_hello_for(name);
        send_all(c, hello);
        const bool echoed = recv_some(c, hello.size()) == hello;
        ::close(c);
        return echoed;
    }
};

TEST_F(ProxyIpv6, ListenerOnIpv6LoopbackServesAnIpv6Client) {
    echo_server up{"127.0.0.2"};
    const std::string svc = "svc.example.com:" + std::to_string(up.port());
    start6({"--allow", svc, "--resolve", "svc.example.com=127.0.0.2", "--permit", "127.0.0.0/8"});
    const auto ready = boost::json::parse(proxy->ready_line());
    const auto& listening = ready.at("listening").as_array();
    ASSERT_EQ(listening.size(), 1u);
    EXPECT_EQ(std::string(listening[0].as_string()), "[::1]:" + std::to_string(port));
    EXPECT_TRUE(tunnel_echoes(svc, "svc.example.com"));
    const auto log = wait_for_decisions(log_path, 1);
    ASSERT_TRUE(log.valid);
    ASSERT_EQ(log.decisions.size(), 1u) << log.raw;
    EXPECT_EQ(str(log.decisions[0], "client").rfind("[::1]:", 0), 0u) << log.raw;
    EXPECT_EQ(str(log.decisions[0], "decision"), "allow");
}

TEST_F(ProxyIpv6, Ipv6LoopbackThroughResolveIsRefusedEvenWithAPermit) {
    // ::1 is floored (loopback) and is also this host's own address, which no
    // permit opens; 127.0.0.1 is too, which is why the IPv4 tests use
    // 127.0.0.2. IPv6 upstreams reached by name are tested in a network
    // namespace (proxy_netns_test.cpp), with documentation addresses.
    server6 up(echo);
    const std::string svc = "svc.example.com:" + std::to_string(up.port());
    for (const bool permit : {false, true}) {
        std::vector<std::string> args{"--allow", svc, "--resolve", "svc.example.com=::1"};
        if (permit) args.insert(args.end(), {"--permit", "::1/128"});
        start6(args);
        std::string refusal;
        EXPECT_FALSE(tunnel_echoes(svc, "svc.example.com", &refusal));
        EXPECT_TRUE(is_status(refusal, 403)) << refusal;
        EXPECT_NE(refusal.find("deny floor: ::1"), std::string::npos) << refusal;
        proxy->stop();
    }
    dns.answer("svc.example.com", {"::1"});
    start6({"--allow", svc, "--permit", "::1/128"});  // the same through an AAAA answer
    std::string refusal;
    EXPECT_FALSE(tunnel_echoes(svc, "svc.example.com", &refusal));
    EXPECT_TRUE(is_status(refusal, 403)) << refusal;
    auto q = dns.queries();
    std::sort(q.begin(), q.end());
    EXPECT_EQ(q, (std::vector<std::string>{"svc.example.com/A", "svc.example.com/AAAA"}));
    EXPECT_EQ(up.accepted(), 0);
}

TEST_F(ProxyIpv6, ARouteNamingIpv6LoopbackTunnelsToIt) {
    server6 up(echo);
    const std::string target = "[::1]:" + std::to_string(up.port());
    start6({"--allow-tunnel", target});
    const int c = tcp6_connect(port);
    ASSERT_TRUE(is_status(connect_head(c, target), 200));
    send_all(c, "SSH-2.0-v6\r\n");
    EXPECT_EQ(recv_some(c, 12), "SSH-2.0-v6\r\n");
    ::close(c);
    const auto log = wait_for_decisions(log_path, 1);
    ASSERT_EQ(log.decisions.size(), 1u) << log.raw;
    EXPECT_EQ(str(log.decisions[0], "address"), target);
    EXPECT_EQ(str(log.decisions[0], "host"), "[::1]");
    EXPECT_EQ(up.accepted(), 1);
}

TEST_F(ProxyIpv6, PlainHttpToAnIpv6Upstream) {
    server6 up(answer_once);
    const std::string target = "[::1]:" + std::to_string(up.port());
    start6({"--allow", target});
    const int c = tcp6_connect(port);
    send_all(c, "GET http://" + target + "/six HTTP/1.1\r\nHost: " + target + "\r\n\r\n");
    const std::string head = recv_head(c);
    EXPECT_TRUE(is_status(head, 200)) << head;
    EXPECT_EQ(recv_some(c, 7), "v6 /six");
    ::close(c);
    EXPECT_EQ(up.accepted(), 1);
    const auto log = wait_for_decisions(log_path, 1);
    ASSERT_EQ(log.decisions.size(), 1u) << log.raw;
    EXPECT_EQ(str(log.decisions[0], "address"), target);
}

TEST_F(ProxyIpv6, ConnectToTheIpv6ListenerItselfIsALoop) {
    // The listener is made here so its port can be named in the route.
    const int listener = tcp6_socket();
    auto a = loopback6(0);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listener, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
    const std::string own = std::to_string(ntohs(a.sin6_port));
    proxy = std::make_unique<proxy_process>(
        std::vector<std::string>{"--listen-fd", "3", "--allow-tunnel", "[::1]:" + own, "--log", log_path.string(), "--nameserver", dns.endpoint()},
        listener);
    ::close(listener);
    const auto p = proxy->ready();
    ASSERT_TRUE(p.has_value()) << proxy->ready_line();
    port = *p;
    EXPECT_EQ(std::to_string(port), own);
    const int c = tcp6_connect(port);
    const std::string head = connect_head(c, "[::1]:" + own);
    EXPECT_TRUE(is_status(head, 403)) << head;
    EXPECT_NE(head.find("loop"), std::string::npos) << head;
    ::close(c);
}

}  // namespace
