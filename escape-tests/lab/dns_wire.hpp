// escape-tests/lab/dns_wire.hpp — the lab DNS sink's wire codec.
//
// Parses a DNS query (RFC 1035) that came from inside a sandbox — untrusted
// bytes, so every read is bounds-checked, names are limited to 255 bytes and
// 127 labels, compression pointers are refused in questions, at most 8
// questions are read — and builds the sink's answer: A/AAAA records for the
// lab's names (lab_plan.hpp), NXDOMAIN for everything else. The sink logs
// every question it could parse; a query it cannot parse is logged raw.
#pragma once

#include "lab_plan.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::escape::lab::dns {

inline constexpr std::size_t max_questions = 8;
inline constexpr std::size_t max_name_length = 255;

struct question {
    std::string name;  ///< lower-cased, dot-separated, no trailing dot; bytes outside [!-~] kept as-is
    std::uint16_t qtype = 0;
    std::uint16_t qclass = 0;
};

struct query {
    std::uint16_t id = 0;
    std::uint16_t flags = 0;
    std::vector<question> questions;
};

namespace detail {

inline std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

inline void put16(std::string& out, std::uint16_t v) {
    out += static_cast<char>(v >> 8);
    out += static_cast<char>(v & 0xff);
}

inline void put_name(std::string& out, std::string_view name) {
    std::size_t start = 0;
    while (start < name.size()) {
        std::size_t dot = name.find('.', start);
        if (dot == std::string_view::npos) dot = name.size();
        const std::size_t len = std::min<std::size_t>(dot - start, 63);
        out += static_cast<char>(len);
        out.append(name.substr(start, len));
        start = dot + 1;
    }
    out += '\0';
}

inline bool ends_with_label(std::string_view name, std::string_view suffix) {
    return name == suffix ||
           (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix &&
            name[name.size() - suffix.size() - 1] == '.');
}

}  // namespace detail

/// Parses a query; nullopt when the bytes are not a well-formed query with at
/// least one question within the limits above.
[[nodiscard]] inline std::optional<query> parse_query(std::string_view wire) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(wire.data());
    const std::size_t n = wire.size();
    if (n < 12) return std::nullopt;
    query q;
    q.id = detail::be16(p);
    q.flags = detail::be16(p + 2);
    if (q.flags & 0x8000) return std::nullopt;  // a response, not a query
    const std::size_t qdcount = detail::be16(p + 4);
    if (qdcount == 0) return std::nullopt;
    std::size_t off = 12;
    for (std::size_t i = 0; i < std::min(qdcount, max_questions); ++i) {
        question qu;
        std::size_t labels = 0;
        for (;;) {
            if (off >= n) return std::nullopt;
            const std::uint8_t len = p[off++];
            if (len == 0) break;
            if (len > 63) return std::nullopt;  // compression or reserved: not in a question we accept
            if (off + len > n || ++labels > 127) return std::nullopt;
            if (!qu.name.empty()) qu.name += '.';
            for (std::size_t k = 0; k < len; ++k) {
                char c = static_cast<char>(p[off + k]);
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
                qu.name += c;
            }
            off += len;
            if (qu.name.size() > max_name_length) return std::nullopt;
        }
        if (off + 4 > n) return std::nullopt;
        qu.qtype = detail::be16(p + off);
        qu.qclass = detail::be16(p + off + 2);
        off += 4;
        q.questions.push_back(std::move(qu));
    }
    return q;
}

/// The lab's answer for one name and type: an IPv4 (4 bytes) or IPv6 (16
/// bytes) address, or nullopt (no such record).
[[nodiscard]] inline std::optional<std::string> lab_record(std::string_view name, std::uint16_t qtype) {
    const std::string v4_internet("\xcb\x00\x71\x0a", 4);  // 203.0.113.10
    const std::string v4_allowed("\xcb\x00\x71\x50", 4);   // 203.0.113.80
    const std::string v4_loopback("\x7f\x00\x00\x01", 4);  // 127.0.0.1
    const std::string v4_metadata("\xa9\xfe\xa9\xfe", 4);  // 169.254.169.254
    const std::string v6_internet("\x20\x01\x0d\xb8\x01\x13\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", 16);
    std::optional<std::string> v4;
    if (name == allowed_name) v4 = v4_allowed;
    else if (name == denied_name) v4 = v4_internet;
    else if (name == rebind_name) v4 = v4_loopback;
    else if (name == metadata_name) v4 = v4_metadata;
    else if (detail::ends_with_label(name, exfil_zone) || detail::ends_with_label(name, denied_name)) v4 = v4_internet;
    // Every other name in the zone, the bare zone, and any spelling around
    // the allowed name (evil-allowed.lab.test, allowed.lab.testx) lands at a
    // sink too: a careless suffix or substring matcher that lets one through
    // is caught by proxy.wildcard_edges.
    else if (name == zone || detail::ends_with_label(name, zone) || name.find(allowed_name) != std::string_view::npos)
        v4 = v4_internet;
    if (!v4) return std::nullopt;
    if (qtype == 1) return v4;
    if (qtype == 28 && name != rebind_name && name != metadata_name) return v6_internet;
    return std::nullopt;
}

/// Builds the answer to `q` (whose raw question section is `wire`): for the
/// first question only, as resolvers do. NOERROR with records, NOERROR/NODATA
/// for a lab name of another type, NXDOMAIN otherwise.
[[nodiscard]] inline std::string answer(const query& q) {
    std::string out;
    detail::put16(out, q.id);
    const question& first = q.questions.front();
    const auto rec = lab_record(first.name, first.qtype);
    const bool known = rec || lab_record(first.name, 1) || lab_record(first.name, 28);
    std::uint16_t flags = 0x8000 | 0x0400 | (q.flags & 0x0100) | 0x0080;  // QR, AA, RD copied, RA
    if (!known) flags |= 3;                                               // NXDOMAIN
    detail::put16(out, flags);
    detail::put16(out, 1);
    detail::put16(out, rec ? 1 : 0);
    detail::put16(out, 0);
    detail::put16(out, 0);
    detail::put_name(out, first.name);
    detail::put16(out, first.qtype);
    detail::put16(out, first.qclass);
    if (rec) {
        detail::put16(out, 0xc00c);  // pointer to the question name
        detail::put16(out, first.qtype);
        detail::put16(out, 1);
        out += std::string("\x00\x00\x00\x3c", 4);  // TTL 60
        detail::put16(out, static_cast<std::uint16_t>(rec->size()));
        out += *rec;
    }
    return out;
}

}  // namespace bottle::escape::lab::dns
