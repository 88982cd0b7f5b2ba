#include "bottle/net/cidr.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>

namespace {

using bottle::net::address;
using bottle::net::address_v4;
using bottle::net::address_v6;
using bottle::net::cidr;
using bottle::net::uint128;

uint128 gen_u128() {
    const auto hi = *rc::gen::arbitrary<std::uint64_t>();
    const auto lo = *rc::gen::arbitrary<std::uint64_t>();
    return (uint128{hi} << 64) | lo;
}

address_v6 v6_from(uint128 v) {
    address_v6::bytes_type b{};
    for (int i = 15; i >= 0; --i) {
        b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(v & 0xff);
        v >>= 8;
    }
    return address_v6(b);
}

// Addresses biased towards interesting shapes: zeros (:: compression), the
// IPv4-mapped/compatible forms, and fully random ones.
address gen_address(bool v4) {
    if (v4) return address_v4(*rc::gen::arbitrary<std::uint32_t>());
    const int shape = *rc::gen::inRange(0, 4);
    uint128 v = gen_u128();
    if (shape == 1) v &= 0xffffffffu;                              // ::a.b.c.d
    if (shape == 2) v = (uint128{0xffff} << 32) | (v & 0xffffffffu);  // ::ffff:a.b.c.d
    if (shape == 3) v &= ~(uint128{0xffffffff} << 32);             // zero run in the middle
    return v6_from(v);
}

cidr gen_cidr(bool v4) {
    const unsigned bits = v4 ? 32 : 128;
    const auto prefix = *rc::gen::inRange(0u, bits + 1);
    return cidr::parse_normalising(gen_address(v4).to_string() + "/" + std::to_string(prefix)).value();
}

uint128 as_u128(const address& a) {
    if (a.is_v4()) return a.to_v4().to_uint();
    uint128 v = 0;
    for (unsigned char b : a.to_v6().to_bytes()) v = (v << 8) | b;
    return v;
}

RC_GTEST_PROP(CidrProps, FormatThenParseIsIdentity, ()) {
    const bool v4 = *rc::gen::arbitrary<bool>();
    const cidr c = gen_cidr(v4);
    const auto back = cidr::parse(c.to_string());
    RC_ASSERT(back.has_value());
    RC_ASSERT(*back == c);
    RC_ASSERT(back->to_string() == c.to_string());
}

RC_GTEST_PROP(CidrProps, AddressFormatThenParseIsIdentity, ()) {
    const address a = gen_address(*rc::gen::arbitrary<bool>());
    const auto back = bottle::net::parse_address(a.to_string());
    RC_ASSERT(back.has_value());
    RC_ASSERT(*back == a);
}

// contains() uses masks; the model uses the range [first, first + width - 1].
RC_GTEST_PROP(CidrProps, ContainsAgreesWithIntegerRange, ()) {
    const bool v4 = *rc::gen::arbitrary<bool>();
    const cidr c = gen_cidr(v4);
    address a = gen_address(v4);
    if (*rc::gen::arbitrary<bool>()) {
        // Put half the probes at or near the network's edges.
        const uint128 base = as_u128(c.network());
        const uint128 last = as_u128(c.last());
        const int where = *rc::gen::inRange(0, 4);
        const uint128 max = v4 ? uint128{0xffffffffu} : ~uint128{0};
        uint128 v = where == 0 ? base : where == 1 ? last : where == 2 ? base - 1 : last + 1;
        v &= max;
        a = v4 ? address(address_v4(static_cast<std::uint32_t>(v))) : address(v6_from(v));
    }
    const uint128 lo = as_u128(c.network());
    const uint128 hi = c.host_bits() == c.family_bits() ? (v4 ? uint128{0xffffffffu} : ~uint128{0})
                                                        : lo + (c.width() - 1);
    const uint128 x = as_u128(a);
    RC_ASSERT(c.contains(a) == (lo <= x && x <= hi));
    RC_ASSERT(as_u128(c.last()) == hi);
}

RC_GTEST_PROP(CidrProps, ContainsNetworkMeansBothEndsInside, ()) {
    const bool v4 = *rc::gen::arbitrary<bool>();
    const cidr outer = gen_cidr(v4);
    // Derive an inner network from an address of the outer one half the time.
    const cidr inner = *rc::gen::arbitrary<bool>()
                           ? gen_cidr(v4)
                           : cidr::parse_normalising(outer.network().to_string() + "/" +
                                                     std::to_string(*rc::gen::inRange(0u, outer.family_bits() + 1)))
                                 .value();
    const bool model = outer.contains(inner.network()) && outer.contains(inner.last());
    RC_ASSERT(outer.contains(inner) == model);
    const bool overlap_model = outer.contains(inner.network()) || inner.contains(outer.network());
    RC_ASSERT(outer.overlaps(inner) == overlap_model);
    RC_ASSERT(outer.overlaps(inner) == inner.overlaps(outer));
}

RC_GTEST_PROP(CidrProps, StrictParseAcceptsExactlyNormalisedInput, ()) {
    const bool v4 = *rc::gen::arbitrary<bool>();
    const address a = gen_address(v4);
    const auto prefix = *rc::gen::inRange(0u, (v4 ? 32u : 128u) + 1);
    const std::string text = a.to_string() + "/" + std::to_string(prefix);
    const auto norm = cidr::parse_normalising(text);
    RC_ASSERT(norm.has_value());
    const auto strict = cidr::parse(text);
    RC_ASSERT(strict.has_value() == (norm->network() == a));
    if (strict) RC_ASSERT(*strict == *norm);
}

}  // namespace
