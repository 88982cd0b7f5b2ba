// bottle/policy/host_name.hpp — the syntax check and canonical form of a host
// an agent asks the egress proxy for, and IP literals in every spelling.
//
// Guarantees of `canonical_host`:
// - It accepts only: a DNS name of LDH labels (A-Z a-z 0-9 '-', 1..63 bytes
//   per label, no leading or trailing '-', at most 253 bytes without the
//   optional trailing dot); an IPv4 literal in any spelling inet_aton and
//   browsers accept (127.0.0.1, 0177.0.0.1, 0x7f.0.0.1, 127.1, 2130706433);
//   an IPv6 literal, bracketed or not, without a zone id.
// - Everything else is refused with a reason, never "repaired": NUL, CR, LF,
//   space and other control bytes, '%', '@', '\', '/', ':' outside an IPv6
//   literal, '*', '_', empty labels, non-ASCII bytes (send the IDNA A-label,
//   xn--...), and names whose last label is a number but that are no valid
//   address (1.2.3.4.5, 256.1.1.1, 08): resolvers read those as addresses.
// - The result is lower-case without a trailing dot; IPv4 literals come back
//   dotted-decimal, IPv6 literals bracketed in RFC 5952 text ("[::1]").
//   canonical_host(canonical_host(x)) == canonical_host(x).
// Untrusted text in error messages is quoted with every byte outside
// printable ASCII escaped, so a reason is safe in a header or a log line.
#pragma once

#include "bottle/net/cidr.hpp"
#include "bottle/policy/detail/ipv4_forms.hpp"
#include "bottle/result.hpp"

#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bottle::policy {

/// Longest name in bytes, without the trailing dot (RFC 1035).
inline constexpr std::size_t max_host_name = 253;
/// Longest label in bytes (RFC 1035).
inline constexpr std::size_t max_host_label = 63;

namespace detail {

inline error host_error(std::string_view raw, std::string_view why, errc code = errc::parse_error) {
    return make_error(code, "invalid host " + net::detail::quote(raw) + ": " + std::string(why));
}

/// An IPv6 literal (without brackets) in canonical bracketed text.
inline result<std::string> canonical_v6(std::string_view raw, std::string_view inner) {
    if (inner.find('%') != std::string_view::npos) return host_error(raw, "IPv6 zone ids ('%') are refused");
    auto a = net::parse_address(inner);
    if (!a || !a->is_v6()) return host_error(raw, "not a valid IPv6 address");
    return "[" + a->to_string() + "]";
}

inline std::string_view byte_refusal(char c) noexcept {
    switch (c) {
        case '\0': return "NUL bytes are refused";
        case '\r':
        case '\n': return "CR and LF are refused";
        case ' ':
        case '\t': return "whitespace is refused";
        case '%': return "percent-encoding and zone ids ('%') are refused";
        case '@': return "userinfo ('@') is refused";
        case '\\': return "backslashes are refused";
        case '/': return "a path ('/') is refused; send the host alone";
        case ':': return "':' is only allowed inside an IPv6 literal; send the port separately";
        case '*': return "'*' is refused in a host (wildcards belong in routes)";
        case '_': return "'_' is not allowed in a host name (letters, digits and '-' only)";
        default: break;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "control bytes are refused";
    return "only letters, digits, '-' and '.' are allowed in a host name";
}

}  // namespace detail

/// The canonical form of `raw` (see the banner), or why it is refused.
/// Errors: parse_error (with the reason), limit_exceeded (longer than 253
/// bytes, or a label longer than 63).
[[nodiscard]] inline result<std::string> canonical_host(std::string_view raw) {
    using detail::host_error;
    if (raw.empty()) return host_error(raw, "the host is empty");
    if (raw.size() > max_host_name + 1)
        return host_error(raw, std::to_string(raw.size()) + " bytes, more than the limit of 253", errc::limit_exceeded);
    for (char c : raw)
        if (static_cast<unsigned char>(c) >= 0x80)
            return host_error(raw, "non-ASCII bytes are refused; send the IDNA A-label (xn--...)");
    if (raw.front() == '[') {
        if (raw.size() < 2 || raw.back() != ']') return host_error(raw, "an opening '[' without a closing ']'");
        return detail::canonical_v6(raw, raw.substr(1, raw.size() - 2));
    }
    if (raw.find(':') != std::string_view::npos) {
        if (raw.find('%') != std::string_view::npos) return host_error(raw, "IPv6 zone ids ('%') are refused");
        bool v6_bytes = true;
        for (char c : raw) v6_bytes = v6_bytes && (detail::is_hex_digit(c) || c == ':' || c == '.');
        if (v6_bytes) return detail::canonical_v6(raw, raw);
    }
    std::string h;
    h.reserve(raw.size());
    for (char c : raw) {
        const bool ldh = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        else if (!ldh) return host_error(raw, detail::byte_refusal(c));
        h += c;
    }
    if (h.back() == '.') h.pop_back();
    if (h.empty()) return host_error(raw, "the host has no labels");
    if (h.size() > max_host_name)
        return host_error(raw, std::to_string(h.size()) + " bytes, more than the limit of 253", errc::limit_exceeded);
    std::size_t start = 0;
    while (start <= h.size()) {
        auto dot = h.find('.', start);
        if (dot == std::string::npos) dot = h.size();
        const std::string_view label = std::string_view(h).substr(start, dot - start);
        if (label.empty()) return host_error(raw, "an empty label ('..', or a leading or second trailing '.')");
        if (label.size() > max_host_label)
            return host_error(raw, "a label of " + std::to_string(label.size()) + " bytes, more than the limit of 63",
                              errc::limit_exceeded);
        if (label.front() == '-' || label.back() == '-') return host_error(raw, "a label starts or ends with '-'");
        start = dot + 1;
    }
    const detail::v4_form v4 = detail::parse_v4_forms(h);
    switch (v4.kind) {
        case detail::v4_form_kind::not_numeric: return h;
        case detail::v4_form_kind::address: return boost::asio::ip::address_v4(v4.value).to_string();
        case detail::v4_form_kind::invalid: break;
    }
    return host_error(raw, "it ends in a number, so resolvers read it as an IPv4 address, but it is not a valid one");
}

/// The address a host names if it is an IP literal in any spelling that
/// canonical_host accepts (dotted, octal, hex, short, integer, IPv6 with or
/// without brackets, IPv4-mapped/compatible IPv6); nullopt for names and
/// for refused text. The address is returned as spelled: ::ffff:1.2.3.4
/// stays IPv6 (see `unmapped`).
[[nodiscard]] inline std::optional<boost::asio::ip::address> ip_literal(std::string_view host);

/// The address of a host already in canonical form (canonical_host's
/// output), without canonicalising again; nullopt for names and for any
/// text not in canonical literal form. For the matcher's hot path.
[[nodiscard]] inline std::optional<boost::asio::ip::address> canonical_ip_literal(std::string_view canonical) {
    if (canonical.empty()) return std::nullopt;
    const bool bracketed = canonical.front() == '[';
    if (bracketed) {
        if (canonical.size() < 2 || canonical.back() != ']') return std::nullopt;
        canonical = canonical.substr(1, canonical.size() - 2);
    } else if (!detail::is_digit(canonical.back())) {
        return std::nullopt;  // canonical IPv4 text ends in a digit; a name whose last label is numeric was refused
    }
    auto a = net::parse_address(canonical);
    if (!a || a->is_v6() != bracketed) return std::nullopt;
    return *a;
}

[[nodiscard]] inline std::optional<boost::asio::ip::address> ip_literal(std::string_view host) {
    auto c = canonical_host(host);
    if (!c) return std::nullopt;
    return canonical_ip_literal(*c);
}

/// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it
/// reaches; every other address unchanged.
[[nodiscard]] inline boost::asio::ip::address unmapped(const boost::asio::ip::address& a) noexcept {
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
    return a;
}

}  // namespace bottle::policy
