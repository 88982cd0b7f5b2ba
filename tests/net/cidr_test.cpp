#include "bottle/net/cidr.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace {

using bottle::errc;
using bottle::failed_with;
using bottle::net::address_class;
using bottle::net::cidr;
using bottle::net::classify;
using bottle::net::parse_address;

cidr must(std::string_view text) {
    auto r = cidr::parse(text);
    EXPECT_TRUE(r.has_value()) << text << ": " << (r ? "" : r.error().message);
    return r.value();
}

TEST(Cidr, AcceptsAndFormatsCanonically) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"10.0.0.0/8", "10.0.0.0/8"},
        {"0.0.0.0/0", "0.0.0.0/0"},
        {"192.168.1.7", "192.168.1.7/32"},
        {"255.255.255.255/32", "255.255.255.255/32"},
        {"0.0.0.0", "0.0.0.0/32"},
        {"::/0", "::/0"},
        {"::1", "::1/128"},
        {"FD00::/8", "fd00::/8"},
        {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1/128"},
        {"2001:db8:0:0:1:0:0:1/128", "2001:db8::1:0:0:1/128"},
        {"::ffff:10.0.0.1", "::ffff:10.0.0.1/128"},
        {"fe80::/10", "fe80::/10"},
        {"100.64.0.0/10", "100.64.0.0/10"},
    };
    for (const auto& [in, out] : cases) {
        auto r = cidr::parse(in);
        ASSERT_TRUE(r.has_value()) << in << ": " << r.error().message;
        EXPECT_EQ(r->to_string(), out) << in;
        EXPECT_EQ(cidr::parse(r->to_string()).value(), *r) << in;
    }
}

// Each rejection class, with the code and a word of the reason.
TEST(Cidr, RejectsAmbiguousAndMalformedSpellings) {
    struct bad {
        std::string text;
        errc code;
        std::string reason;
    };
    const std::vector<bad> cases = {
        {"", errc::parse_error, "empty"},
        {"010.0.0.1", errc::parse_error, "octal"},
        {"10.0.0.01/32", errc::parse_error, "leading zero"},
        {"0x7f.1", errc::parse_error, "hexadecimal"},
        {"0x7f000001", errc::parse_error, "hexadecimal"},
        {"2130706433", errc::parse_error, "integer"},
        {"127.1", errc::parse_error, "shortened"},
        {"10.0.0", errc::parse_error, "four"},
        {"1.2.3.4.5", errc::parse_error, "four"},
        {"1.2.3.256", errc::parse_error, "255"},
        {"1.2..4", errc::parse_error, "empty part"},
        {"1.2.3.4.", errc::parse_error, "four"},
        {".1.2.3", errc::parse_error, "empty part"},
        {" 10.0.0.1", errc::parse_error, "whitespace"},
        {"10.0.0.1 ", errc::parse_error, "whitespace"},
        {"10.0.0.1\n", errc::parse_error, "\\x0a"},
        {"10.0.0.0/ 8", errc::parse_error, "whitespace"},
        {"10.0.0.0/33", errc::parse_error, "out of range 0..32"},
        {"::/129", errc::parse_error, "out of range 0..128"},
        {"10.0.0.0/08", errc::parse_error, "leading zero"},
        {"10.0.0.0/+8", errc::parse_error, "no sign"},
        {"10.0.0.0/-1", errc::parse_error, "no sign"},
        {"10.0.0.0/", errc::parse_error, "missing prefix"},
        {"/8", errc::parse_error, "missing address"},
        {"10.0.0.0/8/8", errc::parse_error, "digits only"},
        {"10.0.0.0/00000000008", errc::parse_error, "leading zero"},
        {"10.0.0.0/1000", errc::parse_error, "out of range"},
        {"fe80::1%eth0", errc::parse_error, "zone"},
        {"[::1]", errc::parse_error, "brackets"},
        {"::ffff:010.0.0.1", errc::parse_error, "leading zero"},
        {"::ffff:127.1", errc::parse_error, "four"},
        {"1.2.3.4::", errc::parse_error, "only end"},
        {"1:2:3:4:5:6:7:8:9", errc::parse_error, "IPv6"},
        {"12345::", errc::parse_error, "IPv6"},
        {"fe80:::1", errc::parse_error, "IPv6"},
        {"10.1.2.3/8", errc::invalid_argument, "write 10.0.0.0/8"},
        {"fd00::1/8", errc::invalid_argument, "write fd00::/8"},
        {std::string(65, '1'), errc::limit_exceeded, "limit of 64"},
    };
    for (const auto& c : cases) {
        auto r = cidr::parse(c.text);
        ASSERT_TRUE(r.has_error()) << "accepted " << c.text << " as " << r->to_string();
        EXPECT_TRUE(failed_with(r, c.code)) << c.text << ": " << r.error().describe();
        EXPECT_NE(r.error().message.find(c.reason), std::string::npos)
            << c.text << ": message '" << r.error().message << "' lacks '" << c.reason << "'";
    }
}

TEST(Cidr, NormalisingParseClearsHostBits) {
    EXPECT_EQ(cidr::parse_normalising("10.1.2.3/8").value().to_string(), "10.0.0.0/8");
    EXPECT_EQ(cidr::parse_normalising("fd00::1/8").value().to_string(), "fd00::/8");
    EXPECT_EQ(cidr::parse_normalising("1.2.3.4/0").value().to_string(), "0.0.0.0/0");
    EXPECT_TRUE(failed_with(cidr::parse_normalising("010.0.0.1/8"), errc::parse_error));
}

TEST(Cidr, MakeChecksPrefixAndHostBits) {
    EXPECT_TRUE(failed_with(cidr::make(parse_address("10.0.0.0").value(), 33), errc::invalid_argument));
    EXPECT_TRUE(failed_with(cidr::make(parse_address("10.0.0.1").value(), 24), errc::invalid_argument));
    EXPECT_EQ(cidr::make(parse_address("10.0.0.0").value(), 24).value().to_string(), "10.0.0.0/24");
    EXPECT_EQ(cidr::host(parse_address("::1").value()).to_string(), "::1/128");
}

TEST(Cidr, WidthAndLast) {
    EXPECT_EQ(must("10.0.0.0/8").host_bits(), 24u);
    EXPECT_TRUE(must("10.0.0.0/8").width() == (bottle::net::uint128{1} << 24));
    EXPECT_TRUE(must("1.2.3.4").width() == 1);
    EXPECT_TRUE(must("0.0.0.0/0").width() == (bottle::net::uint128{1} << 32));
    EXPECT_TRUE(must("::/0").width() == ~bottle::net::uint128{0});
    EXPECT_TRUE(must("::/1").width() == (bottle::net::uint128{1} << 127));
    EXPECT_EQ(must("10.0.0.0/8").last().to_string(), "10.255.255.255");
    EXPECT_EQ(must("fd00::/8").last().to_string(), "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    EXPECT_EQ(must("::/0").last().to_string(), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

TEST(Cidr, ContainsAddressesAndNetworks) {
    const cidr net = must("172.16.0.0/12");
    EXPECT_TRUE(net.contains(parse_address("172.16.0.0").value()));
    EXPECT_TRUE(net.contains(parse_address("172.31.255.255").value()));
    EXPECT_FALSE(net.contains(parse_address("172.32.0.0").value()));
    EXPECT_FALSE(net.contains(parse_address("172.15.255.255").value()));
    EXPECT_TRUE(must("0.0.0.0/0").contains(parse_address("255.255.255.255").value()));
    EXPECT_FALSE(must("0.0.0.0/0").contains(parse_address("::ffff:1.2.3.4").value())) << "families never mix";
    EXPECT_FALSE(must("::/0").contains(parse_address("1.2.3.4").value()));
    EXPECT_TRUE(must("::/0").contains(parse_address("::ffff:1.2.3.4").value()));
    EXPECT_TRUE(must("2001:db8::/32").contains(parse_address("2001:db8:ffff::1").value()));
    EXPECT_FALSE(must("2001:db8::/32").contains(parse_address("2001:db9::").value()));

    EXPECT_TRUE(net.contains(must("172.20.0.0/16")));
    EXPECT_TRUE(net.contains(net));
    EXPECT_FALSE(must("172.20.0.0/16").contains(net));
    EXPECT_TRUE(net.overlaps(must("172.20.0.0/16")));
    EXPECT_TRUE(must("172.20.0.0/16").overlaps(net));
    EXPECT_FALSE(net.overlaps(must("10.0.0.0/8")));
    EXPECT_FALSE(must("0.0.0.0/0").overlaps(must("::/0")));
}

TEST(Classify, Table) {
    const std::vector<std::pair<std::string, address_class>> table = {
        {"0.0.0.0", address_class::unspecified},
        {"0.1.2.3", address_class::unspecified},
        {"::", address_class::unspecified},
        {"127.0.0.1", address_class::loopback},
        {"127.255.255.254", address_class::loopback},
        {"::1", address_class::loopback},
        {"10.1.2.3", address_class::private_use},
        {"172.16.0.1", address_class::private_use},
        {"172.31.255.255", address_class::private_use},
        {"172.32.0.1", address_class::global},
        {"192.168.0.1", address_class::private_use},
        {"169.254.169.254", address_class::link_local},
        {"fe80::1", address_class::link_local},
        {"febf:ffff::1", address_class::link_local},
        {"fec0::1", address_class::global},
        {"100.64.0.1", address_class::cgnat},
        {"100.127.255.255", address_class::cgnat},
        {"100.128.0.0", address_class::global},
        {"fc00::1", address_class::unique_local},
        {"fd00:ec2::254", address_class::unique_local},
        {"224.0.0.1", address_class::multicast},
        {"239.255.255.250", address_class::multicast},
        {"ff02::1", address_class::multicast},
        {"192.0.2.1", address_class::documentation},
        {"198.51.100.7", address_class::documentation},
        {"203.0.113.9", address_class::documentation},
        {"2001:db8::1", address_class::documentation},
        {"240.0.0.1", address_class::reserved},
        {"255.255.255.255", address_class::reserved},
        {"8.8.8.8", address_class::global},
        {"2606:4700::1111", address_class::global},
        // IPv6 forms that embed IPv4 take the IPv4's class.
        {"::ffff:127.0.0.1", address_class::loopback},
        {"::ffff:169.254.169.254", address_class::link_local},
        {"::ffff:10.0.0.1", address_class::private_use},
        {"::ffff:8.8.8.8", address_class::global},
        {"::ffff:0.0.0.0", address_class::unspecified},
        {"::127.0.0.1", address_class::loopback},
        {"::192.168.1.1", address_class::private_use},
        {"::0.0.0.2", address_class::unspecified},
        {"64:ff9b::10.0.0.1", address_class::private_use},
        {"64:ff9b::8.8.8.8", address_class::global},
    };
    for (const auto& [text, want] : table) {
        auto a = parse_address(text);
        ASSERT_TRUE(a.has_value()) << text;
        EXPECT_EQ(classify(*a), want) << text << " classified as " << to_string(classify(*a));
    }
}

TEST(Classify, EmbeddedV4) {
    using bottle::net::embedded_v4;
    EXPECT_FALSE(embedded_v4(parse_address("::").value().to_v6()));
    EXPECT_FALSE(embedded_v4(parse_address("::1").value().to_v6()));
    EXPECT_EQ(embedded_v4(parse_address("::ffff:1.2.3.4").value().to_v6())->to_string(), "1.2.3.4");
    EXPECT_EQ(embedded_v4(parse_address("::5.6.7.8").value().to_v6())->to_string(), "5.6.7.8");
    EXPECT_FALSE(embedded_v4(parse_address("1::ffff:1.2.3.4").value().to_v6()));
}

TEST(ParseAddress, RejectsPrefixAndLimits) {
    EXPECT_TRUE(failed_with(parse_address("10.0.0.0/8"), errc::parse_error));
    EXPECT_TRUE(failed_with(parse_address(""), errc::parse_error));
    EXPECT_TRUE(failed_with(parse_address(std::string(100, ':')), errc::limit_exceeded));
}

TEST(Cidr, OrderingIsTotal) {
    EXPECT_TRUE(must("10.0.0.0/8") < must("10.0.0.0/16"));
    EXPECT_TRUE(must("10.0.0.0/8") < must("::/0"));
    EXPECT_FALSE(must("::/0") < must("10.0.0.0/8"));
}

}  // namespace
