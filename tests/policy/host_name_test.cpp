// canonical_host and ip_literal: accepted spellings with their canonical
// form, and one refused vector per syntax rule with the reason it gives.
#include "bottle/policy/host_name.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace {

using bottle::errc;
using bottle::failed_with;
using bottle::policy::canonical_host;
using bottle::policy::ip_literal;
using bottle::policy::unmapped;

std::string canon(std::string_view raw) {
    auto c = canonical_host(raw);
    EXPECT_TRUE(c.has_value()) << raw << ": " << (c ? "" : c.error().message);
    return c ? *c : std::string("<refused>");
}

std::string host_refusal(std::string_view raw) {
    auto c = canonical_host(raw);
    EXPECT_FALSE(c.has_value()) << raw << " was accepted as " << (c ? *c : "");
    return c ? std::string() : c.error().message;
}

TEST(CanonicalHost, NamesAreLowerCasedWithOneTrailingDotDropped) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"example.com", "example.com"},
        {"API.Anthropic.COM", "api.anthropic.com"},
        {"api.anthropic.com.", "api.anthropic.com"},
        {"xn--bcher-kva.de", "xn--bcher-kva.de"},
        {"a-b.c-d.e", "a-b.c-d.e"},
        {"1password.com", "1password.com"},
        {"0xdeadbeef.example", "0xdeadbeef.example"},
        {"localhost", "localhost"},
        {"1.2.3.0xg", "1.2.3.0xg"},  // last label not a number: a name, as glibc and browsers read it
        {"123.example", "123.example"},
    };
    for (const auto& [in, out] : cases) {
        EXPECT_EQ(canon(in), out) << in;
        EXPECT_EQ(canon(out), out) << "idempotent: " << out;
    }
}

TEST(CanonicalHost, LengthLimits) {
    const std::string label63(63, 'a');
    const std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
    ASSERT_EQ(name253.size(), 253u);
    EXPECT_EQ(canon(name253), name253);
    EXPECT_EQ(canon(name253 + "."), name253) << "254 bytes with the trailing dot is still 253";
    EXPECT_TRUE(failed_with(canonical_host(name253 + "b"), errc::limit_exceeded));
    EXPECT_TRUE(failed_with(canonical_host(name253 + ".."), errc::limit_exceeded));
    EXPECT_EQ(canon(label63 + ".com"), label63 + ".com");
    EXPECT_TRUE(failed_with(canonical_host(std::string(64, 'a') + ".com"), errc::limit_exceeded));
    EXPECT_TRUE(failed_with(canonical_host(std::string(100000, 'a')), errc::limit_exceeded));
}

TEST(CanonicalHost, EachRefusedByteNamesItsRule) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {std::string("exa\0mple.com", 12), "NUL"},
        {"example.com\r\nX-Injected: 1", "CR and LF"},
        {"example.com\n", "CR and LF"},
        {"exa mple.com", "whitespace"},
        {"\texample.com", "whitespace"},
        {"example%2ecom", "percent"},
        {"user@example.com", "userinfo"},
        {"example.com\\@evil.com", "backslash"},
        {"example.com/path", "path"},
        {"example.com:443", "':' is only allowed inside an IPv6 literal"},
        {"fe80::1%eth0", "zone id"},
        {"*.example.com", "wildcards belong in routes"},
        {"exa_mple.com", "'_'"},
        {"exa\x01mple.com", "control"},
        {"exa\x7fmple.com", "control"},
        {"exa!mple.com", "only letters, digits"},
        {"b\xc3\xbc" "cher.de", "xn--"},
        {"\xff.com", "IDNA A-label"},
    };
    for (const auto& [in, why] : cases) EXPECT_NE(host_refusal(in).find(why), std::string::npos) << in << " -> " << host_refusal(in);
}

TEST(CanonicalHost, LabelRules) {
    for (const char* h : {"", ".", "..", "a..b", ".example.com", "example.com..", "-a.com", "a-.com", "a.-b.com", "a.b-"})
        EXPECT_FALSE(canonical_host(h).has_value()) << h;
    EXPECT_NE(host_refusal("a..b").find("empty label"), std::string::npos);
    EXPECT_NE(host_refusal("-a.com").find("'-'"), std::string::npos);
}

TEST(CanonicalHost, ReasonsAreSafeInHeadersAndLogLines) {
    auto why = host_refusal("evil\r\n\"host\x01");
    EXPECT_EQ(why.find('\r'), std::string::npos);
    EXPECT_EQ(why.find('\n'), std::string::npos);
    EXPECT_EQ(why.find('\x01'), std::string::npos);
    EXPECT_NE(why.find("\\x0d\\x0a"), std::string::npos) << why;
}

TEST(CanonicalHost, EveryIpv4SpellingBecomesDottedDecimal) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"127.0.0.1", "127.0.0.1"},       {"127.0.0.1.", "127.0.0.1"},       {"0177.0.0.1", "127.0.0.1"},
        {"0x7f.0.0.1", "127.0.0.1"},      {"0X7F.0.0.1", "127.0.0.1"},       {"0x7f.0x0.0x0.0x1", "127.0.0.1"},
        {"127.1", "127.0.0.1"},           {"127.0.1", "127.0.0.1"},          {"0x7F.1", "127.0.0.1"},
        {"2130706433", "127.0.0.1"},      {"0x7f000001", "127.0.0.1"},       {"017700000001", "127.0.0.1"},
        {"0", "0.0.0.0"},                 {"0x", "0.0.0.0"},                 {"4294967295", "255.255.255.255"},
        {"0xffffffff", "255.255.255.255"}, {"1.65536", "1.1.0.0"},           {"10.0.258", "10.0.1.2"},
        {"169.254.43518", "169.254.169.254"}, {"0251.0376.0251.0376", "169.254.169.254"}, {"00000000177.1", "127.0.0.1"},
    };
    for (const auto& [in, out] : cases) {
        EXPECT_EQ(canon(in), out) << in;
        auto a = ip_literal(in);
        ASSERT_TRUE(a.has_value()) << in;
        EXPECT_EQ(a->to_string(), out) << in;
    }
}

TEST(CanonicalHost, NamesThatEndInANumberButAreNoAddressAreRefused) {
    for (const char* h : {"1.2.3.4.5", "256.1.1.1", "1.256.1.1", "1.2.3.256", "1.2.65536", "1.16777216", "4294967296",
                          "0x100000000", "08", "09.1.1.1", "1.2.3.08", "0x1.0x2.0x3.0x4.0x5", "example.123", "example.0x1",
                          "a.b.c.d.1", "99999999999999999999"}) {
        EXPECT_NE(host_refusal(h).find("ends in a number"), std::string::npos) << h;
        EXPECT_FALSE(ip_literal(h).has_value()) << h;
    }
}

TEST(CanonicalHost, Ipv6LiteralsBracketedOrNotBecomeBracketedRfc5952) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"[::1]", "[::1]"},
        {"::1", "[::1]"},
        {"[0:0:0:0:0:0:0:1]", "[::1]"},
        {"[2001:DB8::1]", "[2001:db8::1]"},
        {"2001:0db8:0000:0000:0000:0000:0000:0001", "[2001:db8::1]"},
        {"[::ffff:7f00:1]", "[::ffff:127.0.0.1]"},
        {"[::FFFF:127.0.0.1]", "[::ffff:127.0.0.1]"},
        {"[fd00:ec2::254]", "[fd00:ec2::254]"},
        {"[64:ff9b::8.8.8.8]", "[64:ff9b::808:808]"},
    };
    for (const auto& [in, out] : cases) {
        EXPECT_EQ(canon(in), out) << in;
        EXPECT_EQ(canon(out), out) << "idempotent: " << out;
        EXPECT_TRUE(ip_literal(in).has_value()) << in;
    }
    for (const char* h : {"[::1", "::1]", "[]", "[1.2.3.4]", "[::1%25eth0]", "[fe80::1%eth0]", "[:::1]", "[::ffff:0x7f.1]",
                          "[::ffff:127.1]", "[::1]:443", "[::1].", "[ ::1]", "[example.com]", "1:2:3:4:5:6:7:8:9"})
        EXPECT_FALSE(canonical_host(h).has_value()) << h;
}

TEST(IpLiteral, NamesAreNotLiteralsAndMappedFormsUnmap) {
    for (const char* h : {"example.com", "localhost", "1.2.3.0xg", "0xdeadbeef.example", "exa mple", ""})
        EXPECT_FALSE(ip_literal(h).has_value()) << h;
    auto mapped = ip_literal("[::ffff:10.0.0.1]");
    ASSERT_TRUE(mapped.has_value());
    EXPECT_TRUE(mapped->is_v6()) << "returned as spelled";
    EXPECT_EQ(unmapped(*mapped).to_string(), "10.0.0.1");
    auto compat = ip_literal("::10.0.0.1");
    ASSERT_TRUE(compat.has_value());
    EXPECT_TRUE(unmapped(*compat).is_v6()) << "only the mapped form is unmapped";
}

}  // namespace
