// Properties of the egress policy:
//  - canonical_host is idempotent, on arbitrary bytes and on host-like text;
//  - every inet_aton spelling of a random IPv4 address canonicalises to its
//    dotted form, and canonical_host agrees with inet_aton on numeric text;
//  - decide equals a slow reference matcher (tests/support/egress_reference.hpp);
//  - the deny floor refuses every address of every floored IPv4 range in
//    every IPv6 embedding, and lets global ones through the plain embeddings;
//  - an answer set is refused exactly when one of its addresses is.
#include "bottle/policy/egress_policy.hpp"

#include "../tests/support/egress_reference.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <arpa/inet.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace policy = bottle::policy;
using bottle::net::address;
using bottle::net::address_v4;
using bottle::net::address_v6;
using bottle::net::uint128;

rc::Gen<std::string> gen_text(std::string alphabet, int max_len) {
    return rc::gen::map(rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, alphabet.size())),
                        [alphabet, max_len](const std::vector<std::size_t>& picks) {
                            std::string s;
                            for (auto i : picks)
                                if (static_cast<int>(s.size()) < max_len) s += alphabet[i];
                            return s;
                        });
}

std::string random_case(std::string s) {
    for (char& c : s)
        if (c >= 'a' && c <= 'z' && *rc::gen::arbitrary<bool>()) c = static_cast<char>(c - 'a' + 'A');
    return s;
}

std::string spell_part(std::uint32_t v) {
    const int base = *rc::gen::inRange(0, 3);
    const std::string zeros(static_cast<std::size_t>(*rc::gen::inRange(0, 3)), '0');
    char buf[16];
    if (base == 0) return std::to_string(v);
    if (base == 1) {
        std::snprintf(buf, sizeof buf, "%o", v);
        return "0" + zeros + buf;
    }
    std::snprintf(buf, sizeof buf, "%x", v);
    return random_case(std::string(*rc::gen::arbitrary<bool>() ? "0x" : "0X") + zeros + buf);
}

/// One of the inet_aton spellings of `v`: 1 to 4 parts, each dec/oct/hex.
std::string spell_v4(std::uint32_t v) {
    const int n = *rc::gen::inRange(1, 5);
    std::string s;
    for (int i = 0; i < n - 1; ++i) s += spell_part((v >> (24 - 8 * i)) & 0xffu) + ".";
    const unsigned rest_bits = 32 - 8 * static_cast<unsigned>(n - 1);
    s += spell_part(rest_bits == 32 ? v : v & ((1u << rest_bits) - 1));
    return s;
}

RC_GTEST_PROP(EgressPolicyProps, CanonicalHostIsIdempotentOnArbitraryBytes, ()) {
    const auto raw = *rc::gen::arbitrary<std::string>();
    if (auto c = policy::canonical_host(raw)) {
        auto again = policy::canonical_host(*c);
        RC_ASSERT(again.has_value());
        RC_ASSERT(*again == *c);
    }
}

RC_GTEST_PROP(EgressPolicyProps, CanonicalHostIsIdempotentOnHostLikeText, ()) {
    const auto raw = *gen_text("abcxXEZ0179-.:[]%_* \r\n\xc3@/", 40);
    if (auto c = policy::canonical_host(raw)) {
        auto again = policy::canonical_host(*c);
        RC_ASSERT(again.has_value());
        RC_ASSERT(*again == *c);
        RC_ASSERT(c->find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ \r\n%@/_*") == std::string::npos);
        RC_ASSERT(c->back() != '.');
    }
}

RC_GTEST_PROP(EgressPolicyProps, EveryIpv4SpellingCanonicalisesToDottedDecimal, (std::uint32_t v)) {
    const std::string text = spell_v4(v) + (*rc::gen::arbitrary<bool>() ? "." : "");
    const std::string dotted = address_v4(v).to_string();
    const auto c = policy::canonical_host(text);
    RC_ASSERT(c.has_value());
    RC_ASSERT(*c == dotted);
    const auto lit = policy::ip_literal(text);
    RC_ASSERT(lit.has_value());
    RC_ASSERT(*lit == address(address_v4(v)));
}

RC_GTEST_PROP(EgressPolicyProps, CanonicalHostAgreesWithInetAtonOnNumericText, ()) {
    const auto text = *gen_text("0123456789xX.abf", 24);
    in_addr a{};
    const bool aton = !text.empty() && text.back() != '.' && inet_aton(text.c_str(), &a) != 0;
    const auto lit = policy::ip_literal(text);
    const auto c = policy::canonical_host(text);
    // One known difference: a bare "0x" part is 0 for browsers (WHATWG) and
    // for us, while glibc's inet_aton refuses it. Either way it is no name.
    const auto parts = bottle::test_support::labels_of(text);
    const bool bare_0x = std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p == "0x" || p == "0X"; });
    if (aton) {
        RC_ASSERT(lit.has_value());
        RC_ASSERT(lit->to_v4().to_uint() == ntohl(a.s_addr));
    } else if (!text.empty() && text.back() != '.' && !bare_0x) {
        RC_ASSERT(!lit.has_value());
    }
    if (lit) RC_ASSERT(c.has_value() && *c == lit->to_string());
}

// --- decide against the reference -----------------------------------------

std::string gen_name() {
    static const std::vector<std::string> labels{"a", "b", "example", "com", "co", "uk", "x-y", "api", "xn--bcher-kva", "9z"};
    const int n = *rc::gen::inRange(1, 5);
    std::string s;
    for (int i = 0; i < n; ++i) s += (i ? "." : "") + *rc::gen::elementOf(labels);
    return s;
}

const std::vector<std::string> literal_spellings{"1.1.1.1",      "16843009",       "0x1.0x1.0x1.0x1", "[::ffff:1.1.1.1]",
                                                 "1.1.1.2",      "1.1.258",        "[2606:4700::1111]", "2606:4700:0::1111",
                                                 "[::1.1.1.1]",  "127.0.0.1",      "0x7f.1",          "[::1]"};

std::vector<std::uint16_t> gen_ports() {
    if (*rc::gen::arbitrary<bool>()) return {};
    auto ports = *rc::gen::container<std::vector<std::uint16_t>>(rc::gen::elementOf(std::vector<std::uint16_t>{22, 80, 443, 8443}));
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    return ports;
}

RC_GTEST_PROP(EgressPolicyProps, DecideEqualsTheReferenceMatcher, ()) {
    std::vector<policy::route> routes;
    const int n = *rc::gen::inRange(0, 8);
    for (int i = 0; i < n; ++i) {
        const int kind = *rc::gen::inRange(0, 3);
        std::string host = kind == 0 ? gen_name() : kind == 1 ? "*." + gen_name() : *rc::gen::elementOf(literal_spellings);
        if (auto r = policy::make_route(random_case(host), gen_ports(), *rc::gen::arbitrary<bool>())) routes.push_back(*r);
    }
    std::string host;
    const int shape = *rc::gen::inRange(0, 4);
    if (shape == 0 && !routes.empty()) {  // under or at a route's host
        std::string base = (*rc::gen::elementOf(routes)).host;
        if (base.starts_with("*.")) base = base.substr(2);
        host = (*rc::gen::arbitrary<bool>() ? gen_name() + "." : "") + base;
    } else if (shape == 1) {
        host = *rc::gen::elementOf(literal_spellings);
    } else if (shape == 2) {
        host = gen_name();
    } else {
        host = *gen_text("abe.-*x01:[]", 16);
    }
    host = random_case(host) + (*rc::gen::arbitrary<bool>() ? "." : "");
    const auto port = *rc::gen::elementOf(std::vector<std::uint16_t>{0, 22, 80, 443, 8443, 9});

    const auto got = policy::decide(routes, host, port);
    const auto want = bottle::test_support::reference_decide(routes, host, port);
    RC_TAG(want.allowed ? "allowed" : want.host_known ? "denied: port" : "denied: host");
    RC_ASSERT(got.allowed == want.allowed);
    if (want.allowed) {
        RC_ASSERT(got.matched == &routes[static_cast<std::size_t>(want.index)]);
        RC_ASSERT(got.reason.starts_with("allowed by route"));
    } else {
        RC_ASSERT(got.matched == nullptr);
        RC_ASSERT((got.reason.find("not allowed for") != std::string::npos) == (want.host_known && port != 0));
    }
}

// --- the deny floor ----------------------------------------------------------

struct v4_range {
    std::uint32_t net;
    unsigned prefix;
};
// Written out here, not taken from the header.
const std::vector<v4_range> floored_v4{{0x00000000, 8},  {0x0a000000, 8},  {0x64400000, 10}, {0x7f000000, 8},
                                       {0xa9fe0000, 16}, {0xac100000, 12}, {0xc0000000, 24}, {0xc0a80000, 16},
                                       {0xc6120000, 15}, {0xe0000000, 4},  {0xf0000000, 4}};

bool in_floor(std::uint32_t a) {
    for (const auto& r : floored_v4)
        if ((a >> (32 - r.prefix)) == (r.net >> (32 - r.prefix))) return true;
    return false;
}

address v6(uint128 v) {
    address_v6::bytes_type b{};
    for (int i = 15; i >= 0; --i, v >>= 8) b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(v & 0xff);
    return address_v6(b);
}

/// `a` embedded the `kind`-th way; random bits wherever the form leaves them free.
address embed(std::uint32_t a, int kind) {
    const uint128 v4 = a;
    const uint128 r = (uint128{*rc::gen::arbitrary<std::uint64_t>()} << 64) | *rc::gen::arbitrary<std::uint64_t>();
    auto top = [](std::uint64_t t) { return uint128{t} << 64; };
    const std::uint64_t local = 0x0064ff9b0001ULL << 16;
    switch (kind) {
        case 0: return v6((uint128{0xffff} << 32) | v4);
        case 1: return v6((uint128{0xffff} << 48) | v4);
        case 2: return v6(v4 > 1 ? v4 : uint128{2});  // ::a.b.c.d needs a > 1: 0.0.0.2 stays in 0/8
        case 3: return v6(top(0x0064ff9b00000000ULL) | v4);
        case 4: return v6(top(local) | v4);
        case 5: return v6(top(local) | (v4 << 24) | (r & 0xffffff));
        case 6: return v6((uint128{0x2002} << 112) | (v4 << 80) | (r & ((uint128{1} << 80) - 1)));
        case 7: return v6(top((0x20010000ULL << 32) | a) | (r & ~uint128{0} << 64 >> 64));
        case 8: return v6(top((0x20010000ULL << 32) | (r >> 96)) | (r & (uint128{0xffffffff} << 32)) | uint128{~a});
        default: return v6((r & (~uint128{0} << 64)) | (uint128{*rc::gen::elementOf(std::vector<std::uint32_t>{0x5efe, 0x02005efe})} << 32) | v4);
    }
}

RC_GTEST_PROP(EgressPolicyProps, FloorRefusesEveryEmbeddingOfEveryFlooredRange, ()) {
    const auto range = *rc::gen::elementOf(floored_v4);
    const std::uint32_t host_bits = range.prefix == 32 ? 0 : *rc::gen::arbitrary<std::uint32_t>() & ((1u << (32 - range.prefix)) - 1);
    const std::uint32_t a = range.net | host_bits;
    RC_ASSERT(policy::check_address(address(address_v4(a)), {}).refused);
    const int kind = *rc::gen::inRange(0, 10);
    const address e = embed(a, kind);
    const auto v = policy::check_address(e, {});
    RC_ASSERT(v.refused);
}

RC_GTEST_PROP(EgressPolicyProps, GlobalAddressesPassThePlainEmbeddings, (std::uint32_t raw)) {
    const std::uint32_t a = in_floor(raw) ? (raw & 0x00ffffffu) | 0x08000000u : raw;  // small values land in 0/8: move to 8/8
    RC_ASSERT(!policy::check_address(address(address_v4(a)), {}).refused);
    for (int kind : {0, 1, 3, 6}) {  // mapped, translated, NAT64, 6to4 with random bits elsewhere
        const address e = embed(a, kind);
        const auto v = policy::check_address(e, {});
        RC_ASSERT(!v.refused || kind == 6);  // 6to4's free bits may spell an ISATAP id of a floored address
    }
}

RC_GTEST_PROP(EgressPolicyProps, AnAnswerSetIsRefusedExactlyWhenOneAddressIs, ()) {
    const auto raw = *rc::gen::container<std::vector<std::uint32_t>>(rc::gen::arbitrary<std::uint32_t>());
    std::vector<address> answers;
    bool any_refused = false;
    for (auto v : raw) {
        answers.emplace_back(address_v4(v));
        any_refused = any_refused || policy::check_address(answers.back(), {}).refused;
    }
    RC_ASSERT(policy::check_answers(answers, {}).refused == (answers.empty() || any_refused));
}

}  // namespace
