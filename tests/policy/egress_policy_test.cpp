// make_route and decide: allowed and refused vectors per rule — wildcard
// edges, ports, public suffixes, every spelling of an IP literal, and the
// reasons a denial gives.
#include "bottle/policy/egress_policy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using bottle::errc;
using bottle::failed_with;
using bottle::policy::decide;
using bottle::policy::decision;
using bottle::policy::make_route;
using bottle::policy::route;

route must(std::string_view host, std::vector<std::uint16_t> ports = {}, bool tls = true) {
    auto r = make_route(host, std::move(ports), tls);
    EXPECT_TRUE(r.has_value()) << host << ": " << (r ? "" : r.error().message);
    return r ? *r : route{};
}

std::string refusal(std::string_view host, std::vector<std::uint16_t> ports = {}) {
    auto r = make_route(host, std::move(ports));
    EXPECT_FALSE(r.has_value()) << host << " was accepted as " << (r ? r->host : "");
    return r ? std::string() : r.error().message;
}

TEST(MakeRoute, CanonicalisesHostsAndKeepsPortsAndTls) {
    EXPECT_EQ(must("API.Anthropic.COM.").host, "api.anthropic.com");
    EXPECT_EQ(must("*.Example.COM").host, "*.example.com");
    EXPECT_EQ(must("*.example.co.uk").host, "*.example.co.uk");
    EXPECT_EQ(must("*.me.github.io").host, "*.me.github.io");
    EXPECT_EQ(must("0x7f.1").host, "127.0.0.1");
    EXPECT_EQ(must("::1").host, "[::1]");
    EXPECT_EQ(must("1.1.1.1").host, "1.1.1.1");
    auto ssh = must("github.com", {22}, false);
    EXPECT_EQ(ssh.ports, (std::vector<std::uint16_t>{22}));
    EXPECT_FALSE(ssh.tls);
    EXPECT_TRUE(must("github.com").tls);
    EXPECT_TRUE(must("github.com").ports.empty());
}

TEST(MakeRoute, RefusesRoutesThatOpenTooMuch) {
    EXPECT_NE(refusal("*").find("every host"), std::string::npos);
    EXPECT_NE(refusal("*.").find("every host"), std::string::npos);
    for (const char* h : {"*.com", "*.io", "*.COM.", "*.localhost"})
        EXPECT_NE(refusal(h).find("top-level domain"), std::string::npos) << h;
    for (const char* h : {"*.co.uk", "*.com.au", "*.github.io", "*.herokuapp.com", "*.s3.amazonaws.com", "*.anything.sch.uk"})
        EXPECT_NE(refusal(h).find("public suffix"), std::string::npos) << h;
    for (const char* h : {"co.uk", "github.io", "com.au"}) EXPECT_NE(refusal(h).find("public suffix"), std::string::npos) << h;
    for (const char* h : {"com", "localhost", "intranet", "registry"}) EXPECT_NE(refusal(h).find("single-label"), std::string::npos) << h;
    for (const char* h : {"*.1.2.3.4", "*.[::1]"}) EXPECT_FALSE(make_route(h).has_value()) << h;
    EXPECT_NE(refusal("*.1.2.3.4").find("IP address"), std::string::npos);
}

TEST(MakeRoute, WildcardOnlyAsTheWholeFirstLabel) {
    for (const char* h : {"api*.example.com", "a.*.example.com", "*example.com", "*.*.example.com", "example.*", "**.example.com"})
        EXPECT_FALSE(make_route(h).has_value()) << h;
    EXPECT_NE(refusal("a.*.example.com").find("whole first label"), std::string::npos);
}

TEST(MakeRoute, RefusesBadHostsAndPorts) {
    for (const char* h : {"", "exa mple.com", "user@example.com", "example.com:443", "1.2.3.4.5", "b\xc3\xbc" "cher.de", "*.a..b"})
        EXPECT_FALSE(make_route(h).has_value()) << h;
    EXPECT_NE(refusal("example.com", {443, 0}).find("port 0"), std::string::npos);
    EXPECT_NE(refusal("example.com", {443, 22, 443}).find("port 443 is listed twice"), std::string::npos);
}

TEST(MakeRoute, AnotherSuffixListCanBeGiven) {
    bottle::policy::public_suffixes none;
    auto r = make_route("*.github.io", {}, true, none);
    ASSERT_TRUE(r.has_value()) << "no multi-label suffixes in an empty list";
    EXPECT_FALSE(make_route("*.io", {}, true, none).has_value()) << "single labels are public by rule";
}

class Decide : public ::testing::Test {
protected:
    std::vector<route> routes{must("api.anthropic.com", {443}), must("*.example.com"), must("git.example.com", {22}, false),
                              must("1.1.1.1", {443}), must("[2606:4700::1111]"), must("*.deep.example.com", {8443})};
    decision at(std::string_view host, std::uint16_t port) const { return decide(routes, host, port); }
};

TEST_F(Decide, DefaultDecisionIsADenial) {
    decision d;
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.matched, nullptr);
    EXPECT_FALSE(decide({}, "api.anthropic.com", 443).allowed);
}

TEST_F(Decide, ExactHostsInAnySpelling) {
    for (const char* h : {"api.anthropic.com", "API.ANTHROPIC.COM", "api.anthropic.com."}) {
        auto d = at(h, 443);
        EXPECT_TRUE(d.allowed) << h << ": " << d.reason;
        EXPECT_EQ(d.matched, &routes[0]);
        EXPECT_EQ(d.host, "api.anthropic.com");
        EXPECT_EQ(d.reason, "allowed by route api.anthropic.com");
    }
    for (const char* h : {"anthropic.com", "x.api.anthropic.com", "api.anthropic.com.evil.com", "api-anthropic.com",
                          "api.anthropic.co"})
        EXPECT_FALSE(at(h, 443).allowed) << h;
    EXPECT_EQ(at("anthropic.com", 443).reason, "host not in allowlist");
}

TEST_F(Decide, WildcardsMatchOnADotBoundaryOnly) {
    for (const char* h : {"www.example.com", "a.b.c.example.com", "WWW.Example.Com."}) EXPECT_TRUE(at(h, 443).allowed) << h;
    for (const char* h : {"example.com", "evilexample.com", "example.com.evil", "www.example.com.evil.net", "example.co",
                          "xexample.com", "www.example.comx"})
        EXPECT_FALSE(at(h, 443).allowed) << h;
}

TEST_F(Decide, PortsComeFromTheRouteOrDefaultTo443And80) {
    EXPECT_TRUE(at("www.example.com", 80).allowed);
    EXPECT_TRUE(at("www.example.com", 443).allowed);
    EXPECT_FALSE(at("www.example.com", 8080).allowed);
    EXPECT_EQ(at("www.example.com", 22).reason, "port 22 not allowed for www.example.com");
    EXPECT_FALSE(at("api.anthropic.com", 80).allowed) << "the route lists only 443";
    EXPECT_EQ(at("api.anthropic.com", 80).reason, "port 80 not allowed for api.anthropic.com");
    EXPECT_FALSE(at("www.example.com", 0).allowed);
}

TEST_F(Decide, ExactBeatsWildcardAndLongerSuffixBeatsShorter) {
    auto ssh = at("git.example.com", 22);
    ASSERT_TRUE(ssh.allowed) << ssh.reason;
    EXPECT_EQ(ssh.matched, &routes[2]);
    EXPECT_FALSE(ssh.matched->tls);
    auto web = at("git.example.com", 443);
    ASSERT_TRUE(web.allowed) << "the wildcard allows the web ports for the same host";
    EXPECT_EQ(web.matched, &routes[1]);
    EXPECT_TRUE(web.matched->tls);
    auto deep = at("x.deep.example.com", 8443);
    ASSERT_TRUE(deep.allowed);
    EXPECT_EQ(deep.matched, &routes[5]);
    EXPECT_EQ(at("x.deep.example.com", 443).matched, &routes[1]);
}

TEST_F(Decide, IpLiteralsMatchOnlyARouteNamingThatAddressInAnySpelling) {
    for (const char* h : {"1.1.1.1", "1.1.1.1.", "0x1.0x1.0x1.0x1", "01.01.01.01", "1.1.257", "1.65793", "16843009", "0x01010101",
                          "[::ffff:1.1.1.1]", "::ffff:101:101"}) {
        auto d = at(h, 443);
        EXPECT_TRUE(d.allowed) << h << ": " << d.reason;
        EXPECT_EQ(d.matched, &routes[3]) << h;
        ASSERT_TRUE(d.address.has_value()) << h;
        EXPECT_EQ(d.address->to_string(), "1.1.1.1");
    }
    EXPECT_FALSE(at("1.1.1.1", 80).allowed);
    EXPECT_EQ(at("1.1.1.1", 80).reason, "port 80 not allowed for 1.1.1.1");
    for (const char* h : {"[2606:4700::1111]", "2606:4700::1111", "[2606:4700:0:0:0:0:0:1111]", "[2606:4700::1111]"})
        EXPECT_TRUE(at(h, 443).allowed) << h;
    for (const char* h : {"1.1.1.2", "8.8.8.8", "127.0.0.1", "2130706433", "0x7f.1", "[::1]", "[::1.1.1.1]", "[64:ff9b::1.1.1.1]"}) {
        auto d = at(h, 443);
        EXPECT_FALSE(d.allowed) << h;
        EXPECT_NE(d.reason.find("not in allowlist"), std::string::npos) << d.reason;
        EXPECT_FALSE(d.address.has_value());
    }
    auto name = at("1.1.1.1.example.com", 443);
    EXPECT_EQ(name.matched, &routes[1]) << "a name that starts like an address is a name (under the wildcard)";
    EXPECT_FALSE(name.address.has_value());
}

TEST_F(Decide, AddressesNeverMatchWildcardsAndNamesNeverMatchAddressRoutes) {
    std::vector<route> rs{must("*.example.com"), must("93.184.216.34")};
    const std::vector<route> only_wildcard{must("*.example.com")};
    EXPECT_FALSE(decide(only_wildcard, "93.184.216.34", 443).allowed);
    EXPECT_FALSE(decide(only_wildcard, "[::1]", 443).allowed);
    EXPECT_TRUE(decide(rs, "[::ffff:93.184.216.34]", 443).allowed) << "the mapped form reaches the same address";
    EXPECT_FALSE(decide(rs, "34.216.184.93.example.com", 80).address.has_value());
    EXPECT_TRUE(decide(rs, "34.216.184.93.example.com", 80).allowed) << "a name under the wildcard";
    EXPECT_FALSE(decide(rs, "93.184.216.35", 443).allowed);
}

TEST_F(Decide, InvalidHostsAreDeniedWithTheSyntaxReason) {
    for (const char* h : {"", "api.anthropic.com:443", "user@api.anthropic.com", "api.anthropic.com\r\n", "1.2.3.4.5",
                          "api.anthropic.com/x", "*.example.com", "www..example.com", "b\xc3\xbc" "cher.example.com"}) {
        auto d = at(h, 443);
        EXPECT_FALSE(d.allowed) << h;
        EXPECT_TRUE(d.host.empty());
        EXPECT_NE(d.reason.find("invalid host"), std::string::npos) << d.reason;
        EXPECT_EQ(d.reason.find('\n'), std::string::npos);
    }
}

TEST_F(Decide, HandMadeRoutesFailClosed) {
    std::vector<route> rs{{"*", {}, true}, {"*.", {}, true}, {"", {}, true}, {"Example.COM", {}, true}, {"0x7f.1", {}, true},
                          {"::1", {}, true}};
    for (const char* h : {"example.com", "a.b", "x.example.com", "127.0.0.1", "0x7f.1", "[::1]"})
        EXPECT_FALSE(decide(rs, h, 443).allowed) << h;
}

}  // namespace
