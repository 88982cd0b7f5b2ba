// escape-tests/lab/route_guard.hpp — may bottle-probe send anything from here?
//
// bottle-probe sends tagged datagrams, connects and queries to the lab's
// addresses (203.0.113.10, 2001:db8:113::10, ...). Inside the sealed lab they
// reach a sink; run by hand on a networked host they leave on the real
// network. So before it runs a single probe, bottle-probe reads the routing
// tables of the network namespace it is in (/proc/net/route and
// /proc/net/ipv6_route, which always describe the reader's own namespace)
// and refuses unless every route can only reach the lab:
//
// * a route through a gateway must name one of the lab's two gateways: the
//   world end of the lab link (10.200.0.1, fd00:200::1) or the bridge of the
//   lab's private dockerd (10.200.1.1). A default route is fine only that
//   way (the lab host's default leads to the lab's world namespace);
// * a directly connected or local route must lie inside the lab's own
//   links: 10.200.0.0/24, 10.200.1.0/24, fd00:200::/32, loopback;
// * IPv6 link-local (fe80::/10) and multicast (ff00::/8) routes exist on
//   every interface, the host's real one included: they count only on lo or
//   on an interface that also carries a lab route;
// * reject/unreachable routes (RTF_REJECT) and routes that are not up reach
//   nothing and are ignored.
// A namespace with no route at all (a sandbox's own empty network namespace)
// passes: nothing can leave it. A table that cannot be read fails closed.
// What it cannot tell apart: a real network that is itself 10.200.0.0/24
// with its gateway on 10.200.0.1. The per-run lab token (--lab-token, which
// only bottle-escape passes) is the other half of the guard.
//
// Header-only and free of I/O, so the unit tests judge crafted tables.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::escape::lab {

struct route_judgement {
    bool lab_only = false;  // every route reaches only the lab
    std::string why;        // the first route that leaves it ("default route on eth0 via ..."), or the table that could not be parsed
};

namespace route_guard_detail {

struct prefix {
    std::array<unsigned char, 16> addr{};
    unsigned bits = 0;
};

inline bool contains(const std::array<unsigned char, 16>& net, unsigned net_bits, const std::array<unsigned char, 16>& addr,
                     unsigned addr_bits) {
    if (addr_bits < net_bits) return false;  // a wider route than the lab range
    for (unsigned i = 0; i < net_bits; ++i) {
        const unsigned char m = static_cast<unsigned char>(0x80u >> (i % 8));
        if ((net[i / 8] & m) != (addr[i / 8] & m)) return false;
    }
    return true;
}

inline prefix v4(unsigned a, unsigned b, unsigned c, unsigned d, unsigned bits) {
    prefix p;
    p.addr[0] = static_cast<unsigned char>(a);
    p.addr[1] = static_cast<unsigned char>(b);
    p.addr[2] = static_cast<unsigned char>(c);
    p.addr[3] = static_cast<unsigned char>(d);
    p.bits = bits;
    return p;
}

inline prefix v6(std::initializer_list<unsigned> head, unsigned bits) {
    prefix p;
    std::size_t i = 0;
    for (unsigned h : head) {
        p.addr[i++] = static_cast<unsigned char>(h >> 8);
        p.addr[i++] = static_cast<unsigned char>(h & 0xff);
    }
    p.bits = bits;
    return p;
}

// Directly connected routes in the lab: its link and its dockerd's bridge
// (loopback routes live in the local table, which /proc/net/route omits).
// The sink ranges are never connected in the lab: they are reached through
// the lab gateway, so a host with one of them on its own LAN is refused.
inline const std::vector<prefix>& lab_v4() {
    static const std::vector<prefix> p{v4(127, 0, 0, 0, 8), v4(10, 200, 0, 0, 24), v4(10, 200, 1, 0, 24)};
    return p;
}
// The gateways the lab has: the world end of the lab link and the lab
// dockerd's bridge (docker-lab.sh --bip), nothing else in 10.200.0.0/16.
inline const std::vector<prefix>& lab_gateways_v4() {
    static const std::vector<prefix> p{v4(10, 200, 0, 1, 32), v4(10, 200, 1, 1, 32)};
    return p;
}
inline const std::vector<prefix>& lab_v6() {
    static const std::vector<prefix> p{v6({0, 0, 0, 0, 0, 0, 0, 1}, 128), v6({0xfd00, 0x0200}, 32)};
    return p;
}
inline const std::vector<prefix>& lab_gateways_v6() {
    static const std::vector<prefix> p{v6({0xfd00, 0x0200, 0, 0, 0, 0, 0, 1}, 128)};
    return p;
}
inline const std::vector<prefix>& link_scoped_v6() {
    static const std::vector<prefix> p{v6({0xfe80}, 10), v6({0xff00}, 8)};
    return p;
}

inline bool in_any(const std::vector<prefix>& nets, const std::array<unsigned char, 16>& a, unsigned bits) {
    for (const auto& n : nets)
        if (contains(n.addr, n.bits, a, bits)) return true;
    return false;
}

inline bool parse_hex(std::string_view s, unsigned long long& out) {
    if (s.empty() || s.size() > 16) return false;
    out = 0;
    for (char c : s) {
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return false;
        out = out * 16 + static_cast<unsigned>(d);
    }
    return true;
}

// /proc/net/route prints each __be32 as the host's u32 ("%08X"); copying
// that u32 back into memory gives the address bytes on either byte order.
inline bool parse_v4(std::string_view s, std::array<unsigned char, 16>& a) {
    unsigned long long v = 0;
    if (s.size() != 8 || !parse_hex(s, v)) return false;
    const auto u = static_cast<std::uint32_t>(v);
    a = {};
    std::memcpy(a.data(), &u, 4);
    return true;
}

inline bool parse_v6(std::string_view s, std::array<unsigned char, 16>& a) {
    if (s.size() != 32) return false;
    for (std::size_t i = 0; i < 16; ++i) {
        unsigned long long b = 0;
        if (!parse_hex(s.substr(2 * i, 2), b)) return false;
        a[i] = static_cast<unsigned char>(b);
    }
    return true;
}

inline unsigned mask_bits_v4(const std::array<unsigned char, 16>& mask) {
    unsigned n = 0;
    for (std::size_t i = 0; i < 4; ++i)
        for (int b = 7; b >= 0; --b) {
            if (!(mask[i] & (1u << b))) return n;
            ++n;
        }
    return n;
}

inline std::string show(const std::array<unsigned char, 16>& a, bool is_v4, unsigned bits) {
    char buf[INET6_ADDRSTRLEN] = "?";
    (void)inet_ntop(is_v4 ? AF_INET : AF_INET6, a.data(), buf, sizeof buf);
    const std::string s = buf;
    return bits == (is_v4 ? 32u : 128u) ? s : s + "/" + std::to_string(bits);
}

inline std::vector<std::string> fields(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string f; in >> f;) out.push_back(f);
    return out;
}

constexpr unsigned long long rtf_up = 0x1, rtf_gateway = 0x2, rtf_reject = 0x200;

struct route {
    bool is_v4 = true;
    std::string dev;
    std::array<unsigned char, 16> dst{};
    unsigned bits = 0;
    std::array<unsigned char, 16> gw{};
    bool via_gateway = false;
};

}  // namespace route_guard_detail

/// Judges the namespace's routes from the text of /proc/net/route and
/// /proc/net/ipv6_route (nullopt: the kernel has no IPv6 here).
[[nodiscard]] inline route_judgement judge_routes(std::string_view v4_table, std::optional<std::string_view> v6_table) {
    using namespace route_guard_detail;
    std::vector<route> routes;
    auto bad = [](std::string why) { return route_judgement{false, std::move(why)}; };
    {
        std::istringstream in{std::string(v4_table)};
        std::string line;
        // Empty: the namespace never had a main table (a fresh one with only
        // lo), so there is no IPv4 route at all.
        if (!v4_table.empty() && (!std::getline(in, line) || line.rfind("Iface", 0) != 0))
            return bad("routing table that cannot be parsed (/proc/net/route has no header line)");
        while (std::getline(in, line)) {
            const auto f = fields(line);
            if (f.empty()) continue;
            route r;
            unsigned long long flags = 0;
            std::array<unsigned char, 16> mask{};
            if (f.size() < 8 || !parse_v4(f[1], r.dst) || !parse_v4(f[2], r.gw) || !parse_hex(f[3], flags) || !parse_v4(f[7], mask))
                return bad("routing table that cannot be parsed (/proc/net/route: " + line + ")");
            if (!(flags & rtf_up) || (flags & rtf_reject)) continue;
            r.dev = f[0];
            r.bits = mask_bits_v4(mask);
            r.via_gateway = (flags & rtf_gateway) != 0;
            routes.push_back(r);
        }
    }
    if (v6_table) {
        std::istringstream in{std::string(*v6_table)};
        for (std::string line; std::getline(in, line);) {
            const auto f = fields(line);
            if (f.empty()) continue;
            route r;
            r.is_v4 = false;
            unsigned long long bits = 0, flags = 0;
            if (f.size() < 10 || !parse_v6(f[0], r.dst) || !parse_hex(f[1], bits) || bits > 128 || !parse_v6(f[4], r.gw) ||
                !parse_hex(f[8], flags))
                return bad("routing table that cannot be parsed (/proc/net/ipv6_route: " + line + ")");
            if (!(flags & rtf_up) || (flags & rtf_reject)) continue;
            r.dev = f[9];
            r.bits = static_cast<unsigned>(bits);
            r.via_gateway = (flags & rtf_gateway) != 0;
            routes.push_back(r);
        }
    }
    // Interfaces that carry a lab route: their link-scoped IPv6 routes stay on a lab link.
    std::set<std::string> lab_devs{"lo"};
    for (const auto& r : routes)
        if (!r.via_gateway && in_any(r.is_v4 ? lab_v4() : lab_v6(), r.dst, r.bits)) lab_devs.insert(r.dev);
    for (const auto& r : routes) {
        const std::string what = (r.bits == 0 ? std::string("default route") : "route to " + show(r.dst, r.is_v4, r.bits)) + " on " + r.dev;
        if (r.via_gateway) {
            const unsigned gw_bits = r.is_v4 ? 32 : 128;
            if (!in_any(r.is_v4 ? lab_gateways_v4() : lab_gateways_v6(), r.gw, gw_bits))
                return bad(what + " via " + show(r.gw, r.is_v4, gw_bits) + ", which is not a lab gateway");
            continue;
        }
        if (in_any(r.is_v4 ? lab_v4() : lab_v6(), r.dst, r.bits)) continue;
        if (!r.is_v4 && in_any(link_scoped_v6(), r.dst, r.bits) && lab_devs.count(r.dev)) continue;
        return bad(what + " reaches beyond the lab's ranges");
    }
    return {true, {}};
}

}  // namespace bottle::escape::lab
