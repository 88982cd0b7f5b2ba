// The deny floor: every floored range at its edges, the ranges next to them
// that pass, every IPv6 embedding of a floored IPv4 address, permits, the
// proxy host's own addresses, and whole-answer refusal.
#include "bottle/policy/deny_floor.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using bottle::net::address;
using bottle::net::address_v4;
using bottle::net::address_v6;
using bottle::net::cidr;
using bottle::net::uint128;
using bottle::policy::check_address;
using bottle::policy::check_answers;
using bottle::policy::embedded_addresses;
using bottle::policy::embedding;
using bottle::policy::floor_options;
using bottle::policy::floor_verdict;

address ip(const char* text) { return boost::asio::ip::make_address(text); }

address_v6 v6(uint128 v) {
    address_v6::bytes_type b{};
    for (int i = 15; i >= 0; --i, v >>= 8) b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(v & 0xff);
    return address_v6(b);
}

// The IPv6 spellings of an IPv4 address, built independently of the header.
std::vector<address> embeddings_of(std::uint32_t a) {
    const uint128 v4 = a;
    auto hi = [](std::uint64_t top) { return uint128{top} << 64; };
    const std::uint64_t local = 0x0064ff9b0001ULL << 16;  // 64:ff9b:1::/48
    std::vector<address> out{
        v6((uint128{0xffff} << 32) | v4),                                         // ::ffff:a.b.c.d
        v6((uint128{0xffff} << 48) | v4),                                         // ::ffff:0:a.b.c.d
        v6(v4),                                                                   // ::a.b.c.d (a > 1)
        v6(hi(0x0064ff9b00000000ULL) | v4),                                       // 64:ff9b::a.b.c.d
        v6(hi(local) | v4),                                                        // 64:ff9b:1::/96
        v6(hi(local) | (v4 << 24)),                                                // /64 (u octet skipped)
        v6(hi(local | (a >> 24)) | (uint128{a & 0xffffffu} << 32)),                 // /56
        v6(hi(local | (a >> 16)) | (uint128{a & 0xffffu} << 40)),                   // /48
        v6(hi(0x2002ULL << 48 | (std::uint64_t{a} << 16))),                        // 6to4 2002:V4::
        v6(hi(0x20010000ULL << 32 | a) | 0x1234),                                  // Teredo server
        v6(hi(0x20010000ULL << 32 | 0x01020304u) | uint128{~a}),                   // Teredo client (XOR-ed)
        v6(hi(0x2a00145000000000ULL) | (uint128{0x00005efe} << 32) | v4),           // ISATAP
        v6(hi(0x2a00145000000000ULL) | (uint128{0x02005efe} << 32) | v4),           // ISATAP, universal bit
    };
    return out;
}

void expect_refused(const address& a, const std::string& why, const floor_options& o = {}) {
    const floor_verdict v = check_address(a, o);
    EXPECT_TRUE(v.refused) << a.to_string() << " passed: " << v.reason;
    EXPECT_NE(v.reason.find(why), std::string::npos) << a.to_string() << ": " << v.reason;
}

void expect_passes(const address& a, const floor_options& o = {}) {
    const floor_verdict v = check_address(a, o);
    EXPECT_FALSE(v.refused) << a.to_string() << ": " << v.reason;
}

TEST(DenyFloor, DefaultVerdictIsRefused) {
    floor_verdict v;
    EXPECT_TRUE(v.refused);
}

TEST(DenyFloor, Ipv4RangesAreRefusedAtBothEdges) {
    const std::vector<std::pair<const char*, const char*>> cases = {
        {"0.0.0.0", "unspecified"},       {"0.255.255.255", "unspecified"},   {"10.0.0.0", "private"},
        {"10.255.255.255", "private"},    {"100.64.0.0", "CGNAT"},            {"100.127.255.255", "CGNAT"},
        {"127.0.0.1", "loopback"},        {"127.255.255.254", "loopback"},    {"169.254.0.1", "link-local"},
        {"169.254.169.254", "metadata"},  {"172.16.0.0", "private"},          {"172.31.255.255", "private"},
        {"192.0.0.8", "IETF"},            {"192.168.0.1", "private"},         {"192.168.255.255", "private"},
        {"198.18.0.1", "benchmarking"},   {"198.19.255.255", "benchmarking"}, {"224.0.0.1", "multicast"},
        {"239.255.255.250", "multicast"}, {"240.0.0.1", "reserved"},          {"255.255.255.254", "reserved"},
        {"255.255.255.255", "broadcast"},
    };
    for (const auto& [a, why] : cases) expect_refused(ip(a), why);
}

TEST(DenyFloor, NeighboursOfFlooredRangesAndDocumentationPass) {
    for (const char* a : {"1.0.0.0", "8.8.8.8", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0", "126.255.255.255",
                          "128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0", "192.0.1.255",
                          "192.0.2.1", "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0", "198.51.100.7",
                          "203.0.113.5", "223.255.255.255"})
        expect_passes(ip(a));
}

TEST(DenyFloor, Ipv6RangesAreRefused) {
    const std::vector<std::pair<const char*, const char*>> cases = {
        {"::", "unspecified"},        {"::1", "loopback"},          {"fe80::1", "link-local"},
        {"febf:ffff::1", "link-local"}, {"fec0::1", "site-local"},  {"fc00::1", "unique-local"},
        {"fd00:ec2::254", "unique-local"}, {"fdff:ffff::1", "unique-local"}, {"ff02::1", "multicast"},
        {"ff0e::1", "multicast"},      {"100::1", "discard"},       {"4000::1", "reserved"},
        {"1000::1", "reserved"},       {"::2:3:4:5:6", "reserved"}, {"e000::1", "reserved"},
    };
    for (const auto& [a, why] : cases) expect_refused(ip(a), why);
    for (const char* a : {"2000::1", "2606:4700::1111", "2a00:1450:4001::1", "2001:db8::1", "3fff:ffff::1", "::ffff:8.8.8.8",
                          "::ffff:0:8.8.8.8", "::8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1"})
        expect_passes(ip(a));
}

TEST(DenyFloor, EveryEmbeddingOfEveryFlooredIpv4IsRefused) {
    for (const char* inner : {"127.0.0.1", "10.1.2.3", "172.16.5.4", "192.168.1.1", "100.64.0.1", "169.254.169.254", "0.0.0.0",
                              "224.0.0.251", "255.255.255.255", "240.1.2.3", "198.18.0.1", "192.0.0.170"}) {
        const std::uint32_t v = address_v4::from_string(inner).to_uint();
        for (const auto& a : embeddings_of(v)) {
            const auto verdict = check_address(a, {});
            EXPECT_TRUE(verdict.refused) << a.to_string() << " passed: " << verdict.reason;
            if (a == address(v6(0))) continue;  // ::0.0.0.0 is ::, refused as unspecified
            bool found = false;  // the header finds the IPv4 address the test embedded
            for (const auto& e : embedded_addresses(a.to_v6())) found = found || e.v4.to_string() == inner;
            EXPECT_TRUE(found) << a.to_string() << " should embed " << inner;
        }
    }
}

TEST(DenyFloor, EmbeddingsAreListedWithTheirKind) {
    auto kinds = [](const char* text) {
        std::vector<std::pair<std::string, embedding>> out;
        for (const auto& e : embedded_addresses(ip(text).to_v6())) out.emplace_back(e.v4.to_string(), e.how);
        return out;
    };
    using P = std::vector<std::pair<std::string, embedding>>;
    EXPECT_EQ(kinds("::ffff:1.2.3.4"), (P{{"1.2.3.4", embedding::mapped}}));
    EXPECT_EQ(kinds("64:ff9b::1.2.3.4"), (P{{"1.2.3.4", embedding::nat64}}));
    EXPECT_EQ(kinds("2002:102:304::"), (P{{"1.2.3.4", embedding::six_to_four}}));
    EXPECT_EQ(kinds("2001:0:4136:e378:8000:63bf:3fff:fdd2"),
              (P{{"65.54.227.120", embedding::teredo_server}, {"192.0.2.45", embedding::teredo_client}}));
    EXPECT_TRUE(kinds("2606:4700::1111").empty());
    EXPECT_TRUE(kinds("::1").empty());
}

TEST(DenyFloor, GlobalEmbeddingsPassExceptLocalUseNat64) {
    for (const auto& a : embeddings_of(address_v4::from_string("8.8.8.8").to_uint())) {
        const auto v = check_address(a, {});
        const auto kinds = embedded_addresses(a.to_v6());
        const bool teredo = !kinds.empty() && kinds[0].how == embedding::teredo_server;  // the other address it carries is made up
        const bool local_nat64 = !kinds.empty() && kinds[0].how == embedding::nat64_local;
        if (teredo) continue;
        // 64:ff9b:1::/48 is read under every RFC 6052 prefix length; some
        // reading always lands in 0/8 unless the operator's prefix bits are
        // set, so local-use NAT64 needs an explicit --permit.
        EXPECT_EQ(v.refused, local_nat64) << a.to_string() << ": " << v.reason;
    }
    floor_options o;
    o.permits = {cidr::parse("64:ff9b:1::/48").value()};
    expect_passes(ip("64:ff9b:1::808:808"), o);
}

TEST(DenyFloor, PermitsOpenExplicitHoles) {
    floor_options o;
    o.permits = {cidr::parse("10.0.0.0/8").value(), cidr::parse("fd00::/8").value()};
    expect_passes(ip("10.1.2.3"), o);
    expect_passes(ip("::ffff:10.1.2.3"), o);
    expect_passes(ip("fd00:ec2::254"), o);
    EXPECT_NE(check_address(ip("10.1.2.3"), o).reason.find("--permit 10.0.0.0/8"), std::string::npos);
    expect_refused(ip("192.168.1.1"), "private", o);
    expect_refused(ip("64:ff9b::10.1.2.3"), "10.1.2.3", o);  // a NAT64 form is another destination: not covered by an IPv4 permit
    expect_refused(ip("127.0.0.1"), "loopback", o);
}

TEST(DenyFloor, OwnAddressesAreRefusedEvenWhenPermittedOrGlobal) {
    floor_options o;
    o.own_addresses = {ip("203.0.113.9"), ip("2001:db8::9")};
    o.permits = {cidr::parse("203.0.113.0/24").value()};
    expect_refused(ip("203.0.113.9"), "proxy host", o);
    expect_refused(ip("::ffff:203.0.113.9"), "proxy host", o);
    expect_refused(ip("2002:cb00:7109::1"), "proxy host", o);  // 6to4 of the host's address
    expect_refused(ip("2001:db8::9"), "proxy host", o);
    expect_passes(ip("203.0.113.10"), o);
    expect_passes(ip("2001:db8::10"), o);
}

TEST(DenyFloor, AnswerSetsAreRefusedWhole) {
    const std::vector<address> good{ip("8.8.8.8"), ip("2606:4700::1111")};
    EXPECT_FALSE(check_answers(good, {}).refused);
    EXPECT_TRUE(check_answers(std::vector<address>{}, {}).refused);
    EXPECT_NE(check_answers(std::vector<address>{}, {}).reason.find("no addresses"), std::string::npos);
    for (std::size_t at = 0; at < 3; ++at) {
        std::vector<address> mixed = good;
        mixed.insert(mixed.begin() + static_cast<std::ptrdiff_t>(at), ip("169.254.169.254"));
        const auto v = check_answers(mixed, {});
        EXPECT_TRUE(v.refused) << at;
        EXPECT_NE(v.reason.find("169.254.169.254"), std::string::npos) << v.reason;
    }
}

}  // namespace
