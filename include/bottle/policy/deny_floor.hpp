// bottle/policy/deny_floor.hpp — the deny floor: addresses the egress proxy
// never dials for a name, whatever the allowlist says, because they reach
// the proxy host, its networks or cloud metadata rather than the internet.
//
// Floored (docs/egress-policy.md has the table and the reasons):
//   IPv4  0/8 unspecified, 10/8 172.16/12 192.168/16 private, 100.64/10 CGNAT,
//         127/8 loopback, 169.254/16 link-local (incl. 169.254.169.254),
//         192.0.0/24 IETF protocol assignments, 198.18/15 benchmarking (and
//         fake-IP proxies), 224/4 multicast, 240/4 reserved, 255.255.255.255
//   IPv6  :: ::1, fe80::/10 link-local, fec0::/10 site-local, fc00::/7 ULA
//         (incl. fd00:ec2::254), ff00::/8 multicast, 100::/64 discard, and
//         anything outside 2000::/3 that does not embed an IPv4 address
//   and the addresses of the proxy host itself (`own_addresses`).
// An IPv6 address that carries an IPv4 address is also judged by that IPv4
// address, under every interpretation: IPv4-mapped ::ffff:0:0/96,
// IPv4-translated ::ffff:0:0:0/96, IPv4-compatible ::/96, NAT64 64:ff9b::/96,
// local-use NAT64 64:ff9b:1::/48 (every RFC 6052 prefix length), 6to4
// 2002::/16, Teredo 2001::/32 (server and XOR-ed client), ISATAP interface
// ids. Documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24,
// 2001:db8::/32) pass: the internet never routes them, so they reach nothing
// internal, and test labs use them to stand for the internet.
//
// `permits` (bottle-egress --permit CIDR) are explicit holes: an address in
// a permit passes (a mapped IPv6 form is also tested as its IPv4). A permit
// never opens the proxy host's own addresses.
// The verdict starts refused; only a completed check lets an address pass.
#pragma once

#include "bottle/net/cidr.hpp"
#include "bottle/policy/host_name.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::policy {

struct floor_options {
    std::vector<net::cidr> permits{};          ///< explicit holes (--permit), logged by the proxy
    std::vector<net::address> own_addresses{};  ///< the proxy host's own addresses: always refused
};

struct floor_verdict {
    bool refused = true;                  ///< default: refused until checked
    std::string reason = "not checked";   ///< says which rule decided, for logs and 403 reasons
};

/// How an IPv6 address carries an IPv4 address.
enum class embedding { mapped, translated, compatible, nat64, nat64_local, six_to_four, teredo_server, teredo_client, isatap };

[[nodiscard]] constexpr std::string_view to_string(embedding e) noexcept {
    switch (e) {
        case embedding::mapped: return "IPv4-mapped";
        case embedding::translated: return "IPv4-translated";
        case embedding::compatible: return "IPv4-compatible";
        case embedding::nat64: return "NAT64";
        case embedding::nat64_local: return "local-use NAT64";
        case embedding::six_to_four: return "6to4";
        case embedding::teredo_server: return "Teredo server";
        case embedding::teredo_client: return "Teredo client";
        case embedding::isatap: return "ISATAP";
    }
    return "embedded";
}

struct embedded_address {
    net::address_v4 v4;
    embedding how;
};

namespace detail {

struct floor_range {
    std::uint32_t net;
    unsigned prefix;
    std::string_view what;
};

/// The IPv4 floor, most specific first.
inline constexpr std::array<floor_range, 13> v4_floor{{
    {0xffffffffu, 32, "broadcast (255.255.255.255)"},
    {0xa9fea9feu, 32, "cloud metadata (169.254.169.254)"},
    {0x00000000u, 8, "unspecified (0.0.0.0/8)"},
    {0x0a000000u, 8, "private (10.0.0.0/8)"},
    {0x64400000u, 10, "CGNAT (100.64.0.0/10)"},
    {0x7f000000u, 8, "loopback (127.0.0.0/8)"},
    {0xa9fe0000u, 16, "link-local (169.254.0.0/16)"},
    {0xac100000u, 12, "private (172.16.0.0/12)"},
    {0xc0000000u, 24, "IETF protocol assignments (192.0.0.0/24)"},
    {0xc0a80000u, 16, "private (192.168.0.0/16)"},
    {0xc6120000u, 15, "benchmarking / fake-IP (198.18.0.0/15)"},
    {0xe0000000u, 4, "multicast (224.0.0.0/4)"},
    {0xf0000000u, 4, "reserved (240.0.0.0/4)"},
}};

inline std::optional<std::string_view> v4_floored(std::uint32_t a) noexcept {
    for (const auto& r : v4_floor)
        if (net::detail::in_v4(a, r.net, r.prefix)) return r.what;
    return std::nullopt;
}

inline std::uint32_t bits_at(net::uint128 v, unsigned first, unsigned count) noexcept {
    return static_cast<std::uint32_t>((v >> (128 - first - count)) & ((net::uint128{1} << count) - 1));
}

/// The v6 floor outside the embedding forms; nullopt when global unicast.
inline std::optional<std::string_view> v6_floored(net::uint128 v, bool embeds) noexcept {
    const auto top16 = bits_at(v, 0, 16);
    if (v == 0) return "unspecified (::)";
    if (v == 1) return "loopback (::1)";
    if ((top16 & 0xffc0u) == 0xfe80u) return "link-local (fe80::/10)";
    if ((top16 & 0xffc0u) == 0xfec0u) return "site-local (fec0::/10)";
    if ((top16 & 0xfe00u) == 0xfc00u) return "unique-local (fc00::/7)";
    if ((top16 & 0xff00u) == 0xff00u) return "multicast (ff00::/8)";
    if ((v >> 64) == (net::uint128{0x0100} << 48)) return "discard-only (100::/64)";
    if ((top16 & 0xe000u) != 0x2000u && !embeds) return "reserved (outside global unicast 2000::/3)";
    return std::nullopt;
}

}  // namespace detail

/// Every IPv4 address `a` may carry, one entry per interpretation.
[[nodiscard]] inline std::vector<embedded_address> embedded_addresses(const net::address_v6& a) {
    using detail::bits_at;
    const net::uint128 v = net::detail::to_u128(a);
    const auto low32 = static_cast<std::uint32_t>(v);
    const net::uint128 high96 = v >> 32;
    std::vector<embedded_address> out;
    auto add = [&](std::uint32_t v4, embedding how) { out.push_back({net::address_v4(v4), how}); };
    if (high96 == 0xffff) add(low32, embedding::mapped);
    if (high96 == 0xffff0000u) add(low32, embedding::translated);
    if (high96 == 0 && low32 > 1) add(low32, embedding::compatible);
    if (high96 == (net::uint128{0x0064ff9b} << 64)) add(low32, embedding::nat64);
    if ((v >> 80) == 0x0064ff9b0001ULL) {  // 64:ff9b:1::/48, RFC 8215: any RFC 6052 prefix length >= 48
        add((bits_at(v, 48, 16) << 16) | bits_at(v, 72, 16), embedding::nat64_local);  // /48
        add((bits_at(v, 56, 8) << 24) | bits_at(v, 72, 24), embedding::nat64_local);   // /56
        add(bits_at(v, 72, 32), embedding::nat64_local);                               // /64
        add(low32, embedding::nat64_local);                                            // /96
    }
    if (bits_at(v, 0, 16) == 0x2002u) add(bits_at(v, 16, 32), embedding::six_to_four);
    if (bits_at(v, 0, 32) == 0x20010000u) {
        add(bits_at(v, 32, 32), embedding::teredo_server);
        add(~low32, embedding::teredo_client);
    }
    if ((bits_at(v, 64, 32) & 0xfdffffffu) == 0x00005efeu) add(low32, embedding::isatap);
    return out;
}

/// Judges one address a name resolved to (see the banner). Never throws
/// except on allocation failure.
[[nodiscard]] inline floor_verdict check_address(const net::address& a, const floor_options& opts) {
    floor_verdict v;
    const std::string text = a.to_string();
    auto refuse = [&](std::string why) {
        v.refused = true;
        v.reason = text + " is " + why;
        return v;
    };
    const net::address plain = unmapped(a);
    std::vector<embedded_address> inner;
    if (a.is_v6()) inner = embedded_addresses(a.to_v6());
    for (const auto& own : opts.own_addresses) {
        const net::address own_plain = unmapped(own);
        if (own_plain == plain) return refuse("an address of the proxy host");
        for (const auto& e : inner)
            if (own_plain == net::address(e.v4))
                return refuse("an address of the proxy host: it embeds " + e.v4.to_string() + " (" +
                              std::string(to_string(e.how)) + ")");
    }
    for (const auto& p : opts.permits) {
        if (p.contains(a) || p.contains(plain)) {
            v.refused = false;
            v.reason = text + " permitted by --permit " + p.to_string();
            return v;
        }
    }
    if (plain.is_v4()) {
        if (auto why = detail::v4_floored(plain.to_v4().to_uint())) return refuse(std::string(*why));
    } else {
        for (const auto& e : inner)
            if (auto why = detail::v4_floored(e.v4.to_uint()))
                return refuse("floored: it embeds " + e.v4.to_string() + " (" + std::string(to_string(e.how)) + "), " +
                              std::string(*why));
        const bool carries_v4 = std::any_of(inner.begin(), inner.end(), [](const embedded_address& e) {
            return e.how != embedding::isatap && e.how != embedding::six_to_four && e.how != embedding::teredo_server &&
                   e.how != embedding::teredo_client;
        });
        if (auto why = detail::v6_floored(net::detail::to_u128(a.to_v6()), carries_v4)) return refuse(std::string(*why));
    }
    v.refused = false;
    v.reason = text + " passes the deny floor";
    return v;
}

/// Judges a whole answer set: refused when it is empty or when any address
/// is refused (the reason names the first such address), so a resolver can
/// never slip one internal address in among public ones.
[[nodiscard]] inline floor_verdict check_answers(std::span<const net::address> answers, const floor_options& opts) {
    floor_verdict v;
    if (answers.empty()) {
        v.reason = "no addresses to check";
        return v;
    }
    for (const auto& a : answers) {
        auto one = check_address(a, opts);
        if (one.refused) return one;
    }
    v.refused = false;
    v.reason = "all " + std::to_string(answers.size()) + " addresses pass the deny floor";
    return v;
}

}  // namespace bottle::policy
