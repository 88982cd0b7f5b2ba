#include "bottle/net/subnet_hash.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace {

using bottle::net::octet_set;
using bottle::net::subnet_hash;

std::string gen_slug() {
    // ASCII slugs plus the odd multi-byte UTF-8 character.
    auto s = *rc::gen::resize(40, rc::gen::nonEmpty(rc::gen::container<std::string>(
                                      rc::gen::elementOf(std::string("abcdefghijklmnopqrstuvwxyz0123456789-_.")))));
    if (*rc::gen::arbitrary<bool>()) s += "\xc3\xa9";  // é
    return s;
}

octet_set gen_taken(std::vector<std::uint8_t>& listed) {
    listed = *rc::gen::container<std::vector<std::uint8_t>>(rc::gen::arbitrary<std::uint8_t>());
    octet_set taken;
    for (auto o : listed) taken.insert(o);
    return taken;
}

RC_GTEST_PROP(SubnetHashProps, StableInRangeNeverReservedOrTaken, ()) {
    const std::string slug = gen_slug();
    std::vector<std::uint8_t> listed;
    const octet_set taken = gen_taken(listed);
    const subnet_hash sh;
    const auto a = sh.assign(slug, taken);
    const auto b = subnet_hash{}.assign(slug, taken);  // another instance: same answer
    RC_ASSERT(a.has_value() == b.has_value());
    if (!a) {
        // Only when every octet 1..254 is reserved or taken.
        for (unsigned o = 1; o <= 254; ++o) RC_ASSERT(o == 17 || taken.contains(static_cast<std::uint8_t>(o)));
        return;
    }
    RC_ASSERT(a->octet == b->octet);
    RC_ASSERT(a->octet >= 1 && a->octet <= 254);
    RC_ASSERT(a->octet != 17);
    RC_ASSERT(!taken.contains(a->octet));
    RC_ASSERT(a->subnet.prefix() == 24u);
    RC_ASSERT(sh.base().contains(a->subnet));
    RC_ASSERT(a->subnet.contains(bottle::net::address(a->gateway)));
    RC_ASSERT(a->gateway.to_uint() == a->subnet.network().to_v4().to_uint() + 1);
}

// Model: the first free octet on the probe path from start_octet, wrapping.
RC_GTEST_PROP(SubnetHashProps, IsFirstFreeOnProbePath, ()) {
    const std::string slug = gen_slug();
    std::vector<std::uint8_t> listed;
    const octet_set taken = gen_taken(listed);
    const subnet_hash sh;
    const unsigned start = sh.start_octet(slug);
    RC_ASSERT(start == 1 + bottle::net::fnv1a_32{}(slug) % 254);
    const auto got = sh.assign(slug, taken);
    for (unsigned step = 0; step < 254; ++step) {
        const unsigned x = (start - 1 + step) % 254 + 1;
        if (x != 17 && !taken.contains(static_cast<std::uint8_t>(x))) {
            RC_ASSERT(got.has_value());
            RC_ASSERT(got->octet == x);
            return;
        }
    }
    RC_ASSERT(bottle::failed_with(got, bottle::errc::exhausted));
}

// Filling the space one slug at a time hands out 253 distinct octets, then
// reports exhaustion.
RC_GTEST_PROP(SubnetHashProps, FillingUpGivesDistinctOctets, ()) {
    const subnet_hash sh;
    octet_set taken;
    const auto prefix = *rc::gen::resize(8, rc::gen::container<std::string>(rc::gen::inRange('a', 'z')));
    for (int i = 0; i < 253; ++i) {
        const auto a = sh.assign(prefix + std::to_string(i), taken);
        RC_ASSERT(a.has_value());
        RC_ASSERT(!taken.contains(a->octet));
        taken.insert(a->octet);
    }
    RC_ASSERT(bottle::failed_with(sh.assign(prefix + "last", taken), bottle::errc::exhausted));
}

}  // namespace
