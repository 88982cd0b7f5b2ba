// The real bottle-egress binary against loopback upstreams: CONNECT rules.
#include "egress_fixture.hpp"

namespace {

using namespace bottle::egress::testing;

struct ProxyConnect : EgressProxy {
    echo_server up{"127.0.0.2"};
    std::string svc() const { return "svc.example.com:" + std::to_string(up.port()); }
    std::vector<std::string> allow_svc(bool permit = true) const {
        std::vector<std::string> a{"--allow", svc(), "--resolve", "svc.example.com=127.0.0.2"};
        if (permit) a.insert(a.end(), {"--permit", "127.0.0.0/8"});
        return a;
    }
};

TEST_F(ProxyConnect, TlsTunnelToAnAllowedHostThroughAnExplicitPermit) {
    start(allow_svc());
    const int c = connect_proxy();
    ASSERT_TRUE(is_status(connect_head(c, svc()), 200));
    const std::string hello = client_hello_for("svc.example.com");
    send_all(c, hello + "ping");
    EXPECT_EQ(recv_some(c, hello.size() + 4), hello + "ping");
    ::close(c);
    const auto log = wait_for_decisions(log_path, 1);
    ASSERT_TRUE(log.valid) << log.raw;
    ASSERT_EQ(log.decisions.size(), 1u);
    const auto& d = log.decisions[0];
    EXPECT_EQ(str(d, "decision"), "allow");
    EXPECT_EQ(str(d, "address"), "127.0.0.2:" + std::to_string(up.port()));
    EXPECT_NE(str(d, "reason").find("--permit 127.0.0.0/8"), std::string::npos) << str(d, "reason");
    EXPECT_EQ(str(d, "bottle"), "test-bottle");
    EXPECT_EQ(d.at("bytes_up").as_int64(), static_cast<std::int64_t>(hello.size() + 4));
    EXPECT_TRUE(dns.queries().empty());
}

TEST_F(ProxyConnect, LoopbackUpstreamIsFlooredWithoutThePermit) {
    start(allow_svc(false));
    const int c = connect_proxy();
    const std::string head = connect_head(c, svc());
    EXPECT_TRUE(is_status(head, 403)) << head;
    EXPECT_NE(head.find("X-Bottle-Egress-Reason: deny floor: 127.0.0.2"), std::string::npos) << head;
    ::close(c);
    EXPECT_EQ(up.accepted(), 0);
}

TEST_F(ProxyConnect, DeniedNameCausesNoDnsQueryAllowedNameDoes) {
    dns.answer("svc.example.com", {"127.0.0.2"});
    start({"--allow", svc(), "--permit", "127.0.0.0/8"});
    int c = connect_proxy();
    EXPECT_TRUE(is_status(connect_head(c, "evil.example.net:443"), 403));
    ::close(c);
    c = connect_proxy();
    EXPECT_TRUE(is_status(connect_head(c, "svc.example.com:1"), 403));  // a port the route does not list
    ::close(c);
    EXPECT_TRUE(dns.queries().empty()) << dns.queries().size();
    c = connect_proxy();
    EXPECT_TRUE(is_status(connect_head(c, svc()), 200));
    ::close(c);
    auto q = dns.queries();
    std::sort(q.begin(), q.end());
    EXPECT_EQ(q, (std::vector<std::string>{"svc.example.com/A", "svc.example.com/AAAA"}));
}

TEST_F(ProxyConnect, AnAnswerSetWithOneFlooredAddressIsRefusedWhole) {
    dns.answer("svc.example.com", {"127.0.0.2", "10.1.2.3"});
    start({"--allow", svc(), "--permit", "127.0.0.0/8"});
    const int c = connect_proxy();
    const std::string head = connect_head(c, svc());
    EXPECT_TRUE(is_status(head, 403)) << head;
    EXPECT_NE(head.find("10.1.2.3"), std::string::npos) << head;
    ::close(c);
    EXPECT_EQ(up.accepted(), 0);
}

TEST_F(ProxyConnect, EveryConnectResolvesOnceAndDialsWhatWasChecked) {
    dns.answer("svc.example.com", {"127.0.0.2"});
    start({"--allow", svc(), "--permit", "127.0.0.0/8"});
    int c = connect_proxy();
    EXPECT_TRUE(is_status(connect_head(c, svc()), 200));
    ::close(c);
    dns.answer("svc.example.com", {"169.254.169.254"});  // rebinding to the metadata address
    c = connect_proxy();
    const std::string head = connect_head(c, svc());
    EXPECT_TRUE(is_status(head, 403)) << head;
    EXPECT_NE(head.find("169.254.169.254"), std::string::npos);
    ::close(c);
    EXPECT_EQ(dns.queries().size(), 4u);  // A + AAAA per CONNECT, never a second lookup to dial
    EXPECT_EQ(up.accepted(), 1);
}

TEST_F(ProxyConnect, ServerNameMustBeTheConnectHost) {
    start(allow_svc());
    const std::vector<std::pair<std::string, std::string>> refused{
        {"other name", client_hello_for("other.example.com")},
        {"suffix trick", client_hello_for("svc.example.com.evil.net")},
        {"no SNI", records(hello_message({extension(43, std::string("\x02\x03\x04", 3))}))},
        {"two names", records(hello_message({sni_extension({"svc.example.com", "other.example.com"})}))},
        {"ECH", records(hello_message({sni_extension({"svc.example.com"}), extension(0xfe0d, "xxxxxxxx")}))},
        {"not TLS", "GET / HTTP/1.1\r\nHost: svc.example.com\r\n\r\n"},
        {"NUL in name", client_hello_for(std::string("svc.example.com\0x", 17))},
    };
    for (const auto& [what, bytes] : refused) {
        const int c = connect_proxy();
        ASSERT_TRUE(is_status(connect_head(c, svc()), 200)) << what;
        send_all(c, bytes + "data");
        EXPECT_TRUE(closed_within(c, 3000)) << what;
        ::close(c);
    }
    EXPECT_EQ(up.received(), "");  // not one byte reached the upstream
    const auto log = wait_for_decisions(log_path, refused.size());
    ASSERT_EQ(log.decisions.size(), refused.size());
    for (const auto& d : log.decisions) EXPECT_EQ(str(d, "decision"), "deny") << str(d, "reason");
    // The same name in another spelling (case, trailing dot) is the same host.
    const int c = connect_proxy();
    ASSERT_TRUE(is_status(connect_head(c, svc()), 200));
    const std::string hello = client_hello_for("SVC.Example.com.");
    send_all(c, hello);
    EXPECT_EQ(recv_some(c, hello.size()), hello);
    ::close(c);
}

TEST_F(ProxyConnect, ClientHelloAcrossRecordsAndSlowSegments) {
    start(allow_svc());
    const int c = connect_proxy();
    ASSERT_TRUE(is_status(connect_head(c, svc()), 200));
    const std::string hello = records(hello_message({sni_extension({"svc.example.com"}), extension(21, std::string(3000, '\0'))}), 700);
    for (std::size_t at = 0; at < hello.size(); at += 500) {
        send_all(c, hello.substr(at, 500));
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(recv_some(c, hello.size()), hello);
    ::close(c);
}

TEST_F(ProxyConnect, ClientHelloTimeout) {
    auto args = allow_svc();
    args.insert(args.end(), {"--hello-timeout", "0.3"});
    start(args);
    const int c = connect_proxy();
    ASSERT_TRUE(is_status(connect_head(c, svc()), 200));
    send_all(c, client_hello_for("svc.example.com").substr(0, 20));
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(closed_within(c, 3000));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
    ::close(c);
    const auto log = wait_for_decisions(log_path, 1);
    ASSERT_EQ(log.decisions.size(), 1u);
    EXPECT_NE(str(log.decisions[0], "reason").find("ClientHello timeout"), std::string::npos);
}

TEST_F(ProxyConnect, NonTlsTunnelOnlyWhereARouteSaysSo) {
    start({"--allow-tunnel", svc(), "--resolve", "svc.example.com=127.0.0.2", "--permit", "127.0.0.0/8"});
    const int c = connect_proxy();
    ASSERT_TRUE(is_status(connect_head(c, svc()), 200));
    send_all(c, "SSH-2.0-test\r\n");
    EXPECT_EQ(recv_some(c, 14), "SSH-2.0-test\r\n");
    ::close(c);
}

TEST_F(ProxyConnect, IpLiteralsInAnySpellingMatchOnlyARouteNamingThatAddress) {
    start({"--allow-tunnel", "127.0.0.2:" + std::to_string(up.port())});
    for (const char* spelling : {"127.0.0.2", "2130706434", "0x7f.0.0.2", "127.2", "[::ffff:127.0.0.2]"}) {
        const int c = connect_proxy();
        EXPECT_TRUE(is_status(connect_head(c, std::string(spelling) + ":" + std::to_string(up.port())), 200)) << spelling;
        ::close(c);
    }
    const int c = connect_proxy();
    EXPECT_TRUE(is_status(connect_head(c, "127.0.0.3:" + std::to_string(up.port())), 403));
    ::close(c);
}

TEST_F(ProxyConnect, ConnectToTheProxysOwnListenerIsALoop) {
    const int listener = tcp_listen("127.0.0.1");
    const std::uint16_t own = local_port(listener);
    start({"--listen-fd", "3", "--allow-tunnel", "127.0.0.1:" + std::to_string(own)}, listener);
    ::close(listener);
    EXPECT_EQ(port, own);
    const int c = connect_proxy();
    const std::string head = connect_head(c, "127.0.0.1:" + std::to_string(own));
    EXPECT_TRUE(is_status(head, 403)) << head;
    EXPECT_NE(head.find("loop"), std::string::npos) << head;
    ::close(c);
}

TEST_F(ProxyConnect, TunnelLimit) {
    start({"--allow-tunnel", svc(), "--resolve", "svc.example.com=127.0.0.2", "--permit", "127.0.0.0/8", "--max-tunnels", "1"});
    const int first = connect_proxy();
    ASSERT_TRUE(is_status(connect_head(first, svc()), 200));
    const int second = connect_proxy();
    EXPECT_TRUE(is_status(connect_head(second, svc()), 503));
    ::close(second);
    ::close(first);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const int third = connect_proxy();
    EXPECT_TRUE(is_status(connect_head(third, svc()), 200));
    ::close(third);
}

}  // namespace
