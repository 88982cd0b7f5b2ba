#include "bottle-egress/http_head.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace bottle::egress;
using bottle::errc;
using bottle::failed_with;

request_head parsed(const std::string& text) {
    auto r = parse_request_head(text);
    EXPECT_TRUE(r) << (r ? "" : r.error().message) << " for " << text;
    if (!r || !*r) {
        ADD_FAILURE() << "incomplete: " << text;
        return {};
    }
    return **r;
}

std::string refused(const std::string& text) {
    auto r = parse_request_head(text);
    if (r) {
        ADD_FAILURE() << "accepted: " << text;
        return {};
    }
    EXPECT_TRUE(failed_with(r, errc::parse_error)) << r.error().describe();
    return r.error().message;
}

TEST(HttpHead, ConnectAuthorityForm) {
    const auto h = parsed("CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\nrest");
    EXPECT_EQ(h.method, "CONNECT");
    EXPECT_EQ(h.form, target_form::authority);
    EXPECT_EQ(h.host, "api.example.com");
    EXPECT_EQ(h.port, 443);
    EXPECT_EQ(h.head_bytes, 67u);
    EXPECT_EQ(h.body, body_kind::none);
}

TEST(HttpHead, ConnectBracketedV6AndHttp10WithoutHost) {
    const auto h = parsed("CONNECT [2001:db8::1]:8443 HTTP/1.0\r\n\r\n");
    EXPECT_EQ(h.host, "2001:db8::1");
    EXPECT_TRUE(h.host_bracketed);
    EXPECT_EQ(h.port, 8443);
    EXPECT_EQ(h.version_minor, 0);
}

TEST(HttpHead, ConnectNeedsAPortAndNoUserinfo) {
    EXPECT_NE(refused("CONNECT example.com HTTP/1.1\r\n\r\n").find("no port"), std::string::npos);
    EXPECT_NE(refused("CONNECT example.com: HTTP/1.1\r\n\r\n").find("empty port"), std::string::npos);
    EXPECT_NE(refused("CONNECT u@example.com:443 HTTP/1.1\r\n\r\n").find("userinfo"), std::string::npos);
    refused("CONNECT example.com:0 HTTP/1.1\r\n\r\n");
    refused("CONNECT example.com:0443 HTTP/1.1\r\n\r\n");
    refused("CONNECT example.com:65536 HTTP/1.1\r\n\r\n");
    refused("CONNECT example.com:+443 HTTP/1.1\r\n\r\n");
    refused("CONNECT 2001:db8::1:443 HTTP/1.1\r\n\r\n");
    refused("CONNECT [2001:db8::1]x:443 HTTP/1.1\r\n\r\n");
    refused("CONNECT :443 HTTP/1.1\r\n\r\n");
}

TEST(HttpHead, AbsoluteUri) {
    const auto h = parsed("GET http://Example.com/a/b?c=d HTTP/1.1\r\nHost: example.com\r\n\r\n");
    EXPECT_EQ(h.form, target_form::absolute);
    EXPECT_EQ(h.host, "Example.com");  // canonicalising is the policy's job
    EXPECT_EQ(h.port, 80);
    EXPECT_EQ(h.origin_path, "/a/b?c=d");
    EXPECT_EQ(h.field("HOST"), "example.com");
    EXPECT_EQ(parsed("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n").origin_path, "/");
    EXPECT_EQ(parsed("GET http://example.com?x HTTP/1.1\r\nHost: example.com\r\n\r\n").origin_path, "/?x");
    EXPECT_EQ(parsed("GET HTTP://example.com:8080/ HTTP/1.1\r\nHost: example.com\r\n\r\n").port, 8080);
}

TEST(HttpHead, OnlyConnectAndAbsoluteHttpTargets) {
    EXPECT_NE(refused("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n").find("origin-form"), std::string::npos);
    EXPECT_NE(refused("OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n").find("asterisk"), std::string::npos);
    EXPECT_NE(refused("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").find("version"), std::string::npos);
    EXPECT_NE(refused("GET https://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n").find("http://"), std::string::npos);
    refused("GET ftp://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n");
    EXPECT_NE(refused("GET http://u:p@example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n").find("userinfo"), std::string::npos);
    EXPECT_NE(refused("GET http://example.com/#frag HTTP/1.1\r\nHost: example.com\r\n\r\n").find("fragment"), std::string::npos);
    refused("GET http:///path HTTP/1.1\r\nHost: example.com\r\n\r\n");
    refused("GET http://example.com/ HTTP/1.2\r\nHost: example.com\r\n\r\n");
    refused("GET  http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n");
    refused("GET http://example.com/ HTTP/1.1 \r\nHost: example.com\r\n\r\n");
    refused("G(ET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n");
    refused("\r\nGET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n");
}

TEST(HttpHead, HostFieldRules) {
    EXPECT_NE(refused("GET http://example.com/ HTTP/1.1\r\n\r\n").find("without a Host"), std::string::npos);
    EXPECT_NE(refused("GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\nhost: b.example\r\n\r\n").find("more than one Host"),
              std::string::npos);
    parsed("GET http://example.com/ HTTP/1.0\r\n\r\n");  // HTTP/1.0 may omit Host
}

TEST(HttpHead, IncompleteHeadsNeedMore) {
    for (std::string text : {"", "CONNECT", "CONNECT a.example:443 HTTP/1.1\r\n", "CONNECT a.example:443 HTTP/1.1\r\n\r"}) {
        auto r = parse_request_head(text);
        ASSERT_TRUE(r) << text;
        EXPECT_FALSE(*r) << text;
    }
}

TEST(HttpHead, BareLfAndBareCrAreRefusedBeforeTheHeadEnds) {
    EXPECT_NE(refused("GET http://example.com/ HTTP/1.1\n").find("bare LF"), std::string::npos);
    EXPECT_NE(refused("GET http://example.com/ HTTP/1.1\r\nHost: example.com\n\r\n").find("bare LF"), std::string::npos);
    EXPECT_NE(refused("GET http://example.com/ HTTP/1.1\rHost: x\r\n\r\n").find("bare CR"), std::string::npos);
    EXPECT_NE(refused(std::string("GET http://e\0x.com/ HTTP/1.1\r\n", 30)).find("NUL"), std::string::npos);
}

TEST(HttpHead, FieldSyntax) {
    const std::string line = "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n";
    EXPECT_NE(refused(line + "X-A: 1\r\n continued\r\n\r\n").find("obs-fold"), std::string::npos);
    EXPECT_NE(refused(line + "X-A: 1\r\n\tcontinued\r\n\r\n").find("obs-fold"), std::string::npos);
    EXPECT_NE(refused(line + "X-A : 1\r\n\r\n").find("whitespace before the colon"), std::string::npos);
    EXPECT_NE(refused(line + "X-A\t: 1\r\n\r\n").find("whitespace before the colon"), std::string::npos);
    EXPECT_NE(refused(line + "X-A\r\n\r\n").find("without a colon"), std::string::npos);
    EXPECT_NE(refused(line + ": 1\r\n\r\n").find("empty field name"), std::string::npos);
    EXPECT_NE(refused(line + "X(A): 1\r\n\r\n").find("invalid character"), std::string::npos);
    EXPECT_NE(refused(line + "X-A: 1\x01\r\n\r\n").find("control byte"), std::string::npos);
    const auto h = parsed(line + "X-A: \t spaced value \t\r\nX-Empty:\r\n\r\n");
    EXPECT_EQ(h.field("x-a"), "spaced value");
    EXPECT_EQ(h.field("x-empty"), "");
}

TEST(HttpHead, ContentLength) {
    const std::string line = "POST http://example.com/ HTTP/1.1\r\nHost: example.com\r\n";
    auto h = parsed(line + "Content-Length: 42\r\n\r\n");
    EXPECT_EQ(h.body, body_kind::length);
    EXPECT_EQ(h.content_length, 42u);
    EXPECT_EQ(parsed(line + "Content-Length: 0\r\n\r\n").body, body_kind::none);
    EXPECT_EQ(parsed(line + "\r\n").body, body_kind::none);
    EXPECT_NE(refused(line + "Content-Length: 5\r\nContent-Length: 5\r\n\r\n").find("duplicate"), std::string::npos);
    EXPECT_NE(refused(line + "Content-Length: 5\r\ncontent-length: 6\r\n\r\n").find("duplicate"), std::string::npos);
    for (const char* bad : {"5, 5", "-1", "+5", "0x10", "5 5", "", "05", "1e3", "9999999999999999"}) {
        EXPECT_NE(refused(line + "Content-Length: " + bad + "\r\n\r\n").find("Content-Length"), std::string::npos) << bad;
    }
}

TEST(HttpHead, TransferEncoding) {
    const std::string line = "POST http://example.com/ HTTP/1.1\r\nHost: example.com\r\n";
    EXPECT_EQ(parsed(line + "Transfer-Encoding: chunked\r\n\r\n").body, body_kind::chunked);
    EXPECT_EQ(parsed(line + "Transfer-Encoding: Chunked\r\n\r\n").body, body_kind::chunked);
    EXPECT_NE(refused(line + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n").find("together"), std::string::npos);
    EXPECT_NE(refused(line + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n").find("together"), std::string::npos);
    for (const char* bad : {"gzip, chunked", "gzip", "chunked, chunked", "identity", "xchunked", "chunked;q=1"}) {
        EXPECT_NE(refused(line + "Transfer-Encoding: " + std::string(bad) + "\r\n\r\n").find("other than chunked"),
                  std::string::npos)
            << bad;
    }
    EXPECT_NE(refused(line + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n").find("duplicate"),
              std::string::npos);
    refused("POST http://example.com/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(HttpHead, ConnectionMayNotListFramingFields) {
    const std::string line = "POST http://example.com/ HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n";
    EXPECT_NE(refused(line + "Connection: close, Content-Length\r\n\r\n").find("framing"), std::string::npos);
    refused(line + "Connection: host\r\n\r\n");
    const auto h = parsed(line + "Connection: keep-alive, X-Private\r\n\r\n");
    EXPECT_EQ(connection_tokens(h.fields), (std::vector<std::string>{"keep-alive", "x-private"}));
}

TEST(HttpHead, HopByHop) {
    const std::vector<std::string> listed{"x-private"};
    for (const char* name : {"Connection", "keep-alive", "Proxy-Authorization", "proxy-connection", "TE", "Upgrade", "X-Private"}) {
        EXPECT_TRUE(is_hop_by_hop(name, listed)) << name;
    }
    for (const char* name : {"Host", "Content-Length", "Transfer-Encoding", "Authorization", "X-Proxy", "Trailer"}) {
        EXPECT_FALSE(is_hop_by_hop(name, listed)) << name;
    }
}

TEST(HttpHead, Limits) {
    head_limits small;
    small.max_head_bytes = 64;
    const std::string big = "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\nX-Pad: " + std::string(40, 'a');
    auto r = parse_request_head(big, small);
    ASSERT_FALSE(r);
    EXPECT_TRUE(failed_with(r, errc::limit_exceeded));
    small.max_head_bytes = 4096;
    small.max_fields = 2;
    r = parse_request_head("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\nA: 1\r\nB: 2\r\n\r\n", small);
    ASSERT_FALSE(r);
    EXPECT_TRUE(failed_with(r, errc::limit_exceeded));
}

TEST(HttpHead, ResponseFraming) {
    auto body_of = [](const std::string& text, const char* method = "GET") {
        auto r = parse_response_head(text, method);
        EXPECT_TRUE(r && *r) << text;
        return r && *r ? (*r)->body : body_kind::until_close;
    };
    EXPECT_EQ(body_of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), body_kind::length);
    EXPECT_EQ(body_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), body_kind::chunked);
    EXPECT_EQ(body_of("HTTP/1.1 200 OK\r\n\r\n"), body_kind::until_close);
    EXPECT_EQ(body_of("HTTP/1.1 200\r\n\r\n"), body_kind::until_close);
    EXPECT_EQ(body_of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", "HEAD"), body_kind::none);
    EXPECT_EQ(body_of("HTTP/1.1 204 No Content\r\n\r\n"), body_kind::none);
    EXPECT_EQ(body_of("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"), body_kind::none);
    EXPECT_EQ(body_of("HTTP/1.1 100 Continue\r\n\r\n"), body_kind::none);
    const auto r = parse_response_head("HTTP/1.1 404 Not Found\r\nX: y\r\n\r\n", "GET");
    ASSERT_TRUE(r && *r);
    EXPECT_EQ((*r)->status, 404);
    EXPECT_EQ((*r)->reason, "Not Found");
    for (const char* bad : {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
                            "HTTP/1.1 099 x\r\n\r\n", "HTTP/2 200\r\n\r\n", "HTTP/1.1 200 OK\nX: y\r\n\r\n",
                            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"}) {
        EXPECT_FALSE(parse_response_head(bad, "GET")) << bad;
    }
}

}  // namespace
