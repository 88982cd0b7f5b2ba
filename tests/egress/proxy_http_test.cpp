// The real bottle-egress binary against loopback upstreams: absolute-URI HTTP.
#include "egress_fixture.hpp"

namespace {

using namespace bottle::egress::testing;

struct ProxyHttp : EgressProxy {
    http_server up{"127.0.0.2"};
    std::string authority() const { return "svc.example.com:" + std::to_string(up.port()); }
    void start_svc() { start({"--allow", authority(), "--resolve", "svc.example.com=127.0.0.2", "--permit", "127.0.0.0/8"}); }
    std::string get(const std::string& path, const std::string& extra = "") const {
        return "GET http://" + authority() + path + " HTTP/1.1\r\nHost: " + authority() + "\r\n" + extra + "\r\n";
    }
    /// Reads one response with a Content-Length body.
    static std::string response(int fd) {
        std::string head = recv_head(fd);
        const auto at = head.find("Content-Length: ");
        if (at == std::string::npos) return head;
        return head + recv_some(fd, std::stoul(head.substr(at + 16)));
    }
};

TEST_F(ProxyHttp, ForwardsWithHostRewrittenAndHopByHopFieldsStripped) {
    start_svc();
    const int c = connect_proxy();
    send_all(c, "GET http://SVC.example.com:" + std::to_string(up.port()) + "/path?q=1 HTTP/1.1\r\nHost: svc.example.com:" +
                    std::to_string(up.port()) +
                    "\r\nProxy-Authorization: Basic c2VjcmV0\r\nProxy-Connection: keep-alive\r\nConnection: keep-alive, X-Private\r\n"
                    "X-Private: hop\r\nX-Keep: end-to-end\r\nTE: trailers\r\n\r\n");
    const std::string r = response(c);
    EXPECT_TRUE(r.rfind("HTTP/1.1 200 OK\r\n", 0) == 0) << r;
    EXPECT_NE(r.find("response 1"), std::string::npos);
    EXPECT_EQ(r.find("Keep-Alive:"), std::string::npos) << r;  // the upstream's hop-by-hop fields stay there too
    ::close(c);
    const auto heads = up.heads();
    ASSERT_EQ(heads.size(), 1u);
    const std::string& h = heads[0];
    EXPECT_EQ(h.rfind("GET /path?q=1 HTTP/1.1\r\nHost: svc.example.com:" + std::to_string(up.port()) + "\r\n", 0), 0u) << h;
    for (const char* gone : {"Proxy-Authorization", "Proxy-Connection", "Connection:", "X-Private", "TE:", "c2VjcmV0"}) {
        EXPECT_EQ(h.find(gone), std::string::npos) << gone << " in\n" << h;
    }
    EXPECT_NE(h.find("X-Keep: end-to-end\r\n"), std::string::npos) << h;
}

TEST_F(ProxyHttp, EveryRequestOnAKeptAliveConnectionIsDecidedOnItsOwn) {
    start_svc();
    const int c = connect_proxy();
    send_all(c, get("/one"));
    EXPECT_NE(response(c).find("response 1"), std::string::npos);
    send_all(c, get("/two"));
    EXPECT_NE(response(c).find("response 2"), std::string::npos);
    send_all(c, "GET http://evil.example.net/steal HTTP/1.1\r\nHost: evil.example.net\r\n\r\n");
    const std::string denied = response(c);
    EXPECT_TRUE(is_status(denied, 403)) << denied;
    EXPECT_TRUE(closed_within(c, 2000));
    ::close(c);
    const auto log = wait_for_decisions(log_path, 3);
    ASSERT_TRUE(log.valid);
    ASSERT_EQ(log.decisions.size(), 3u) << log.raw;
    EXPECT_EQ(str(log.decisions[0], "decision"), "allow");
    EXPECT_EQ(str(log.decisions[1], "decision"), "allow");
    EXPECT_EQ(str(log.decisions[2], "decision"), "deny");
    EXPECT_EQ(str(log.decisions[2], "host"), "evil.example.net");
    EXPECT_EQ(up.heads().size(), 2u);
    EXPECT_TRUE(dns.queries().empty());
}

TEST_F(ProxyHttp, PipelinedRequestsWithBodiesKeepTheirBoundaries) {
    start_svc();
    const int c = connect_proxy();
    const std::string chunked = "POST http://" + authority() + "/up HTTP/1.1\r\nHost: " + authority() +
                                "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    const std::string smuggled = "GET http://evil.example.net/ HTTP/1.1\r\nHost: evil.example.net\r\n\r\n";
    const std::string with_length = "POST http://" + authority() + "/len HTTP/1.1\r\nHost: " + authority() +
                                    "\r\nContent-Length: " + std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled;
    send_all(c, chunked + with_length + get("/last"));
    response(c);
    response(c);
    EXPECT_NE(response(c).find("response 3"), std::string::npos);
    ::close(c);
    const auto heads = up.heads();
    ASSERT_EQ(heads.size(), 3u);
    EXPECT_EQ(heads[1].rfind("POST /len HTTP/1.1", 0), 0u);
    EXPECT_NE(heads[1].find(smuggled), std::string::npos);  // a body, never a request of its own
    EXPECT_EQ(heads[2].rfind("GET /last HTTP/1.1", 0), 0u);
}

TEST_F(ProxyHttp, StrictFramingAndTargetsAre400) {
    start_svc();
    const std::string a = authority();
    const std::vector<std::string> bad{
        "GET /origin-form HTTP/1.1\r\nHost: " + a + "\r\n\r\n",
        "GET http://user:pw@" + a + "/ HTTP/1.1\r\nHost: " + a + "\r\n\r\n",
        "GET http://" + a + "/ HTTP/1.1\r\nHost: evil.example.net\r\n\r\n",
        "POST http://" + a + "/ HTTP/1.1\r\nHost: " + a + "\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc",
        "POST http://" + a + "/ HTTP/1.1\r\nHost: " + a + "\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
        "POST http://" + a + "/ HTTP/1.1\r\nHost: " + a + "\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        "GET http://" + a + "/ HTTP/1.1\r\nHost: " + a + "\r\nX: a\r\n folded\r\n\r\n",
        "GET http://" + a + "/ HTTP/1.1\nHost: " + a + "\n\n",
        "GET http://" + a + "/ HTTP/1.1\r\nHost : " + a + "\r\n\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "GET https://" + a + "/ HTTP/1.1\r\nHost: " + a + "\r\n\r\n",
    };
    for (const auto& request : bad) {
        const int c = connect_proxy();
        send_all(c, request);
        const std::string head = recv_head(c);
        EXPECT_TRUE(is_status(head, 400)) << request << "\n->\n" << head;
        ::close(c);
    }
    EXPECT_TRUE(up.heads().empty());
}

TEST_F(ProxyHttp, HeaderByteLimitIs431) {
    start({"--allow", authority(), "--resolve", "svc.example.com=127.0.0.2", "--permit", "127.0.0.0/8", "--max-header-bytes", "1024"});
    const int c = connect_proxy();
    send_all(c, get("/", "X-Pad: " + std::string(2000, 'a') + "\r\n"));
    EXPECT_TRUE(is_status(recv_head(c), 431));
    ::close(c);
}

}  // namespace
