#include "bottle/net/subnet_hash.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using bottle::errc;
using bottle::failed_with;
using bottle::net::cidr;
using bottle::net::octet_set;
using bottle::net::subnet_hash;

// Standard FNV-1a 32 vectors: a change of the hash fails here first.
TEST(Fnv1a32, StandardVectors) {
    constexpr bottle::net::fnv1a_32 h;
    static_assert(h("") == 0x811c9dc5u);
    EXPECT_EQ(h(""), 0x811c9dc5u);
    EXPECT_EQ(h("a"), 0xe40c292cu);
    EXPECT_EQ(h("foobar"), 0xbf9cf968u);
    EXPECT_EQ(h("dev"), 0xd55997bcu);
    EXPECT_EQ(h("na\xc3\xafve"), 0x999a082bu);  // "naïve" in UTF-8
}

// Pinned assignments (also listed in docs/net.md). Changing the hash, the
// start formula or the probing order breaks every existing bottle's network.
TEST(SubnetHash, PinnedVectors) {
    const subnet_hash sh;
    struct vec {
        const char* slug;
        unsigned start;
        const char* subnet;
        const char* gateway;
    };
    const std::vector<vec> vectors = {
        {"a", 221, "192.168.221.0/24", "192.168.221.1"},
        {"foobar", 215, "192.168.215.0/24", "192.168.215.1"},
        {"dev", 11, "192.168.11.0/24", "192.168.11.1"},
        {"gpu", 38, "192.168.38.0/24", "192.168.38.1"},
        {"bottle", 12, "192.168.12.0/24", "192.168.12.1"},
        {"claude-dev", 156, "192.168.156.0/24", "192.168.156.1"},
        {"codex", 17, "192.168.18.0/24", "192.168.18.1"},  // 17 is reserved: probes to 18
        {"na\xc3\xafve", 122, "192.168.122.0/24", "192.168.122.1"},
        {"\xe6\x97\xa5\xe6\x9c\xac", 204, "192.168.204.0/24", "192.168.204.1"},  // "日本"
    };
    for (const auto& v : vectors) {
        EXPECT_EQ(sh.start_octet(v.slug), v.start) << v.slug;
        const auto a = sh.assign(v.slug);
        ASSERT_TRUE(a.has_value()) << v.slug << ": " << a.error().message;
        EXPECT_EQ(a->subnet.to_string(), v.subnet) << v.slug;
        EXPECT_EQ(a->gateway.to_string(), v.gateway) << v.slug;
        EXPECT_EQ(a->subnet.network().to_v4().to_bytes()[2], a->octet);
    }
}

TEST(SubnetHash, OtherBase) {
    const auto sh = subnet_hash::make(cidr::parse("10.77.0.0/16").value()).value();
    EXPECT_EQ(sh.assign("dev").value().subnet.to_string(), "10.77.11.0/24");
    EXPECT_EQ(sh.assign("dev").value().gateway.to_string(), "10.77.11.1");
    EXPECT_TRUE(failed_with(subnet_hash::make(cidr::parse("10.0.0.0/8").value()), errc::invalid_argument));
    EXPECT_TRUE(failed_with(subnet_hash::make(cidr::parse("fd00::/16").value()), errc::invalid_argument));
}

TEST(SubnetHash, ProbesPastTakenAndWraps) {
    const subnet_hash sh;
    // "b222" starts at 254: taken 254 wraps to 1.
    ASSERT_EQ(sh.start_octet("b222"), 254u);
    EXPECT_EQ(sh.assign("b222", {254}).value().octet, 1u);
    EXPECT_EQ(sh.assign("b222", {254, 1, 2}).value().octet, 3u);
    // "b464" starts at 16: taken 16, reserved 17 -> 18.
    ASSERT_EQ(sh.start_octet("b464"), 16u);
    EXPECT_EQ(sh.assign("b464", {16}).value().octet, 18u);
    EXPECT_EQ(sh.assign("b464").value().octet, 16u);
}

TEST(SubnetHash, ExhaustionNamesCounts) {
    const subnet_hash sh;
    octet_set all_but_17;
    for (unsigned o = 1; o <= 254; ++o)
        if (o != 17) all_but_17.insert(static_cast<std::uint8_t>(o));
    const auto r = sh.assign("dev", all_but_17);
    ASSERT_TRUE(failed_with(r, errc::exhausted));
    EXPECT_NE(r.error().message.find("1 reserved, 253 taken"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("192.168.0.0/16"), std::string::npos) << r.error().message;

    octet_set everything = all_but_17;
    everything.insert(17);  // taken *and* reserved counts once, as reserved
    const auto r2 = sh.assign("dev", everything);
    ASSERT_TRUE(failed_with(r2, errc::exhausted));
    EXPECT_NE(r2.error().message.find("1 reserved, 253 taken"), std::string::npos) << r2.error().message;

    octet_set one_free;
    for (unsigned o = 1; o <= 254; ++o)
        if (o != 200) one_free.insert(static_cast<std::uint8_t>(o));
    EXPECT_EQ(sh.assign("dev", one_free).value().octet, 200u);
}

TEST(SubnetHash, RejectsBadSlugs) {
    const subnet_hash sh;
    EXPECT_TRUE(failed_with(sh.assign(""), errc::invalid_argument));
    EXPECT_TRUE(failed_with(sh.assign(std::string(256, 'a')), errc::limit_exceeded));
    EXPECT_TRUE(sh.assign(std::string(255, 'a')).has_value());
    EXPECT_TRUE(failed_with(sh.assign("bad\xff"), errc::invalid_argument));
    EXPECT_TRUE(failed_with(sh.assign("\xc0\xaf"), errc::invalid_argument));      // overlong '/'
    EXPECT_TRUE(failed_with(sh.assign("\xed\xa0\x80"), errc::invalid_argument));  // surrogate
    EXPECT_TRUE(failed_with(sh.assign("\xe6\x97"), errc::invalid_argument));      // truncated
    EXPECT_TRUE(failed_with(sh.assign(std::string("a\0b", 3)), errc::invalid_argument));
    EXPECT_TRUE(sh.assign("\xf0\x9f\x8d\xbe").has_value());  // U+1F37E bottle with popping cork
}

// A second hash instantiation: constant, so probing is exercised in isolation.
struct constant_hash {
    std::uint32_t value;
    constexpr std::uint32_t operator()(std::string_view) const noexcept { return value; }
};

TEST(SubnetHash, CustomHashAndReservedPolicy) {
    using custom = bottle::net::basic_subnet_hash<constant_hash, bottle::net::reserved_octets>;
    const auto sh = custom::make(cidr::parse("172.20.0.0/16").value(), constant_hash{253},
                                 bottle::net::reserved_octets{{254, 1, 2}})
                        .value();
    EXPECT_EQ(sh.start_octet("anything"), 254u);  // 1 + 253 % 254
    EXPECT_EQ(sh.assign("x").value().subnet.to_string(), "172.20.3.0/24");
    EXPECT_EQ(sh.assign("y", {3, 4}).value().subnet.to_string(), "172.20.5.0/24");
}

TEST(SubnetHash, TakenByExistingNetworks) {
    const subnet_hash sh;
    const std::vector<cidr> existing = {cidr::parse("192.168.11.0/24").value(),
                                        cidr::parse("192.168.12.128/25").value(),
                                        cidr::parse("192.168.40.0/22").value(),
                                        cidr::parse("10.0.0.0/8").value()};
    const octet_set taken = sh.taken_by(existing);
    EXPECT_EQ(taken.size(), 6u);
    for (unsigned o : {11u, 12u, 40u, 41u, 42u, 43u}) EXPECT_TRUE(taken.contains(static_cast<std::uint8_t>(o))) << o;
    EXPECT_EQ(sh.assign("dev", taken).value().octet, 13u);  // 11 and 12 are taken
    const std::vector<cidr> everything = {cidr::parse("192.168.0.0/16").value()};
    EXPECT_EQ(sh.taken_by(everything).size(), 254u);
}

}  // namespace
