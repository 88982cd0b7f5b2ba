// bottle/net/cidr.hpp — IPv4/IPv6 addresses and CIDR blocks, parsed strictly.
//
// Addresses are boost::asio::ip::address values. Parsing refuses every
// ambiguous spelling that some resolver or library reads differently (octal
// 010.0.0.1, hex 0x7f.1, integer 2130706433, shortened 127.1, whitespace,
// IPv6 zone ids, prefixes with signs or leading zeros), because an allowlist
// that parses differently from the kernel is a hole. `cidr::parse` also refuses
// host bits (10.0.0.1/8); `cidr::parse_normalising` clears them instead.
// `classify` sorts an address into the ranges an egress floor must know
// about; IPv6 forms that embed an IPv4 address are classified by the IPv4.
// See docs/net.md.
#pragma once

#include "bottle/net/detail/strict_text.hpp"
#include "bottle/result.hpp"

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bottle::net {

using address = boost::asio::ip::address;
using address_v4 = boost::asio::ip::address_v4;
using address_v6 = boost::asio::ip::address_v6;
using uint128 = detail::uint128;

/// Longest text accepted by the parsers, in bytes. The longest valid CIDR
/// ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128") is 49 bytes.
inline constexpr std::size_t max_cidr_text = 64;

/// What kind of range an address lies in. `global` is "none of the others".
enum class address_class {
    unspecified,    ///< 0.0.0.0/8 ("this network"), ::
    loopback,       ///< 127.0.0.0/8, ::1
    private_use,    ///< RFC 1918: 10/8, 172.16/12, 192.168/16
    link_local,     ///< 169.254/16, fe80::/10
    cgnat,          ///< 100.64/10 (RFC 6598 shared address space)
    unique_local,   ///< fc00::/7
    multicast,      ///< 224/4, ff00::/8
    documentation,  ///< 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32
    reserved,       ///< 240/4, including 255.255.255.255
    global,
};

[[nodiscard]] constexpr std::string_view to_string(address_class c) noexcept {
    switch (c) {
        case address_class::unspecified: return "unspecified";
        case address_class::loopback: return "loopback";
        case address_class::private_use: return "private";
        case address_class::link_local: return "link-local";
        case address_class::cgnat: return "cgnat";
        case address_class::unique_local: return "unique-local";
        case address_class::multicast: return "multicast";
        case address_class::documentation: return "documentation";
        case address_class::reserved: return "reserved";
        case address_class::global: return "global";
    }
    return "global";
}

namespace detail {

inline uint128 to_u128(const address_v6& a) noexcept {
    uint128 v = 0;
    for (unsigned char b : a.to_bytes()) v = (v << 8) | b;
    return v;
}

inline address_v6 from_u128(uint128 v) noexcept {
    address_v6::bytes_type bytes{};
    for (int i = 15; i >= 0; --i) {
        bytes[static_cast<std::size_t>(i)] = static_cast<unsigned char>(v & 0xff);
        v >>= 8;
    }
    return address_v6(bytes);
}

/// The address as an integer of its family; `bits` is 32 or 128.
inline uint128 to_u128(const address& a) noexcept {
    return a.is_v4() ? uint128{a.to_v4().to_uint()} : to_u128(a.to_v6());
}

/// All ones in the low `bits` bits (bits is 32 or 128).
inline constexpr uint128 bits_mask(unsigned bits) noexcept {
    return bits == 128 ? ~uint128{0} : ((uint128{1} << bits) - 1);
}

/// Mask with the top `prefix` of `bits` bits set (prefix may be 0 or bits).
inline constexpr uint128 prefix_mask(unsigned prefix, unsigned bits) noexcept {
    if (prefix == 0) return 0;
    return bits_mask(bits) & ~((uint128{1} << (bits - prefix)) - 1);
}

inline bool in_v4(std::uint32_t a, std::uint32_t net, unsigned prefix) noexcept {
    const std::uint32_t mask = prefix == 0 ? 0u : ~std::uint32_t{0} << (32 - prefix);
    return (a & mask) == net;
}

inline address make_address(uint128 value, bool v4) noexcept {
    if (v4) return address_v4(static_cast<std::uint32_t>(value));
    return from_u128(value);
}

/// Strict address text -> address, or a reason. `text` is already checked
/// for length and emptiness.
inline result<address> parse_address_text(std::string_view text, std::string_view whole) {
    auto fail = [&](std::string why) {
        return make_error(errc::parse_error, "invalid address in " + quote(whole) + ": " + why);
    };
    if (text.empty()) return fail("missing address before '/'");
    if (text.find(':') == std::string_view::npos) {
        for (char c : text)
            if (!is_digit(c) && c != '.' && c != 'x' && c != 'X' && !is_hex(c))
                return fail("unexpected byte " + quote(std::string_view(&c, 1)) +
                            " (no whitespace, signs or zone ids are allowed)");
        const v4_parse p = parse_dotted_quad(text);
        if (p.problem != v4_problem::none) return fail(describe(p.problem));
        return address{address_v4(p.value)};
    }
    for (char c : text)
        if (!is_hex(c) && c != ':' && c != '.')
            return fail("unexpected byte " + quote(std::string_view(&c, 1)) +
                        " in an IPv6 address (no whitespace, brackets or zone ids are allowed)");
    // The platform's inet_pton decides the IPv6 grammar; the embedded
    // dotted quad (::ffff:a.b.c.d) is held to our own IPv4 rules first.
    if (const auto dot = text.find('.'); dot != std::string_view::npos) {
        const auto last_colon = text.rfind(':');
        if (last_colon > dot) return fail("a dotted IPv4 part may only end an IPv6 address");
        const v4_parse p = parse_dotted_quad(text.substr(last_colon + 1));
        if (p.problem != v4_problem::none) return fail(describe(p.problem));
    }
    boost::system::error_code ec;
    const address_v6 v6 = boost::asio::ip::make_address_v6(std::string(text), ec);
    if (ec) return fail("not a valid IPv6 address");
    return address{v6};
}

}  // namespace detail

/// Parses one address (no prefix). Same strictness as `cidr::parse`.
/// Errors: parse_error (with the reason), limit_exceeded (longer than
/// max_cidr_text bytes).
[[nodiscard]] inline result<address> parse_address(std::string_view text) {
    if (text.empty()) return make_error(errc::parse_error, "empty address: write e.g. 10.0.0.1 or fd00::1");
    if (text.size() > max_cidr_text)
        return make_error(errc::limit_exceeded, "address text is " + std::to_string(text.size()) +
                                                    " bytes, more than the limit of " +
                                                    std::to_string(max_cidr_text));
    return detail::parse_address_text(text, text);
}

/// IPv4 embedded in an IPv6 address: IPv4-mapped ::ffff:a.b.c.d,
/// IPv4-compatible ::a.b.c.d (but not :: or ::1), and the NAT64 well-known
/// prefix 64:ff9b::/96 (RFC 6052), which a NAT64 gateway forwards to the IPv4.
[[nodiscard]] inline std::optional<address_v4> embedded_v4(const address_v6& a) noexcept {
    const uint128 v = detail::to_u128(a);
    const auto low = static_cast<std::uint32_t>(v & 0xffffffffu);
    const uint128 high96 = v >> 32;
    if (high96 == 0xffff) return address_v4(low);                                  // mapped
    if (high96 == 0 && low > 1) return address_v4(low);                            // compatible
    if (high96 == (uint128{0x0064ff9b} << 64)) return address_v4(low);             // NAT64
    return std::nullopt;
}

/// The range an address lies in; see address_class. Never fails.
[[nodiscard]] inline address_class classify(const address& a) noexcept {
    auto v4_class = [](std::uint32_t v) {
        auto in = [v](std::uint32_t net, unsigned prefix) { return detail::in_v4(v, net, prefix); };
        if (in(0x00000000, 8)) return address_class::unspecified;
        if (in(0x7f000000, 8)) return address_class::loopback;
        if (in(0x0a000000, 8) || in(0xac100000, 12) || in(0xc0a80000, 16)) return address_class::private_use;
        if (in(0xa9fe0000, 16)) return address_class::link_local;
        if (in(0x64400000, 10)) return address_class::cgnat;
        if (in(0xe0000000, 4)) return address_class::multicast;
        if (in(0xc0000200, 24) || in(0xc6336400, 24) || in(0xcb007100, 24)) return address_class::documentation;
        if (in(0xf0000000, 4)) return address_class::reserved;
        return address_class::global;
    };
    if (a.is_v4()) return v4_class(a.to_v4().to_uint());
    const address_v6 v6 = a.to_v6();
    if (const auto inner = embedded_v4(v6)) return v4_class(inner->to_uint());
    const uint128 v = detail::to_u128(v6);
    if (v == 0) return address_class::unspecified;
    if (v == 1) return address_class::loopback;
    const auto top16 = static_cast<std::uint32_t>(v >> 112);
    if ((top16 & 0xffc0u) == 0xfe80u) return address_class::link_local;
    if ((top16 & 0xfe00u) == 0xfc00u) return address_class::unique_local;
    if ((top16 & 0xff00u) == 0xff00u) return address_class::multicast;
    if (static_cast<std::uint32_t>(v >> 96) == 0x20010db8u) return address_class::documentation;
    return address_class::global;
}

/// An IPv4 or IPv6 network: an address with its host bits clear and a prefix
/// length. Invariant: host bits of network() are zero.
class cidr {
public:
    /// Strict parse: "a.b.c.d/N", "v6/N", or an address alone (a single-host
    /// /32 or /128). Refuses host bits set, naming the network that was meant.
    /// Errors: parse_error (with the reason), limit_exceeded (text longer than
    /// max_cidr_text), invalid_argument (host bits set).
    [[nodiscard]] static result<cidr> parse(std::string_view text) { return parse_impl(text, false); }

    /// Like parse, but clears host bits: "10.1.2.3/8" -> 10.0.0.0/8.
    [[nodiscard]] static result<cidr> parse_normalising(std::string_view text) { return parse_impl(text, true); }

    /// A network from parts. Errors: invalid_argument if the prefix is longer
    /// than the family allows or host bits are set.
    [[nodiscard]] static result<cidr> make(const address& network, unsigned prefix) {
        const unsigned bits = network.is_v4() ? 32u : 128u;
        if (prefix > bits)
            return make_error(errc::invalid_argument, "prefix /" + std::to_string(prefix) + " is longer than " +
                                                          std::to_string(bits) + " bits");
        const uint128 value = detail::to_u128(network);
        if ((value & ~detail::prefix_mask(prefix, bits) & detail::bits_mask(bits)) != 0)
            return make_error(errc::invalid_argument,
                              network.to_string() + "/" + std::to_string(prefix) + " has host bits set; the network is " +
                                  cidr(network, prefix, true).to_string());
        return cidr(network, prefix, false);
    }

    /// The single-host network of an address (/32 or /128).
    [[nodiscard]] static cidr host(const address& a) { return cidr(a, a.is_v4() ? 32u : 128u, false); }

    [[nodiscard]] const address& network() const noexcept { return network_; }
    [[nodiscard]] unsigned prefix() const noexcept { return prefix_; }
    [[nodiscard]] bool is_v4() const noexcept { return network_.is_v4(); }
    [[nodiscard]] unsigned family_bits() const noexcept { return is_v4() ? 32u : 128u; }
    /// log2 of the number of addresses: 32 - prefix or 128 - prefix.
    [[nodiscard]] unsigned host_bits() const noexcept { return family_bits() - prefix_; }
    /// Number of addresses, saturating: ::/0 has 2^128 addresses, reported as
    /// 2^128 - 1 (the only value that saturates).
    [[nodiscard]] uint128 width() const noexcept {
        return host_bits() == 128 ? ~uint128{0} : uint128{1} << host_bits();
    }
    /// The last address of the network.
    [[nodiscard]] address last() const noexcept {
        const uint128 hi = detail::to_u128(network_) | (~detail::prefix_mask(prefix_, family_bits()) & detail::bits_mask(family_bits()));
        return detail::make_address(hi, is_v4());
    }

    /// Canonical text "network/prefix"; IPv6 per RFC 5952 as Asio prints it.
    /// parse(to_string()) gives back an equal cidr.
    [[nodiscard]] std::string to_string() const { return network_.to_string() + "/" + std::to_string(prefix_); }

    /// True if `a` lies in this network. Families never mix: an IPv4-mapped
    /// IPv6 address is not contained in an IPv4 network (and vice versa).
    [[nodiscard]] bool contains(const address& a) const noexcept {
        if (a.is_v4() != is_v4()) return false;
        return (detail::to_u128(a) & detail::prefix_mask(prefix_, family_bits())) == detail::to_u128(network_);
    }
    /// True if every address of `other` lies in this network.
    [[nodiscard]] bool contains(const cidr& other) const noexcept {
        return other.is_v4() == is_v4() && other.prefix_ >= prefix_ && contains(other.network_);
    }
    /// True if the two networks share at least one address.
    [[nodiscard]] bool overlaps(const cidr& other) const noexcept { return contains(other) || other.contains(*this); }

    friend bool operator==(const cidr& a, const cidr& b) noexcept {
        return a.prefix_ == b.prefix_ && a.network_ == b.network_;
    }
    /// Total order: IPv4 before IPv6, then by network, then by prefix.
    friend bool operator<(const cidr& a, const cidr& b) noexcept {
        if (a.network_ != b.network_) return a.network_ < b.network_;
        return a.prefix_ < b.prefix_;
    }

private:
    cidr(const address& a, unsigned prefix, bool clear_host_bits)
        : network_(clear_host_bits ? detail::make_address(detail::to_u128(a) & detail::prefix_mask(prefix, a.is_v4() ? 32u : 128u),
                                                          a.is_v4())
                                   : a),
          prefix_(static_cast<std::uint8_t>(prefix)) {}

    static result<cidr> parse_impl(std::string_view text, bool normalise) {
        if (text.empty()) return make_error(errc::parse_error, "empty CIDR: write e.g. 10.0.0.0/8 or fd00::/8");
        if (text.size() > max_cidr_text)
            return make_error(errc::limit_exceeded, "CIDR text is " + std::to_string(text.size()) +
                                                        " bytes, more than the limit of " +
                                                        std::to_string(max_cidr_text));
        const auto slash = text.find('/');
        auto parsed = detail::parse_address_text(text.substr(0, slash), text);
        if (!parsed) return parsed.error();
        const address a = *parsed;
        const unsigned bits = a.is_v4() ? 32u : 128u;
        unsigned prefix = bits;
        if (slash != std::string_view::npos) {
            const std::string_view p = text.substr(slash + 1);
            auto fail = [&](const std::string& why) {
                return make_error(errc::parse_error, "invalid prefix in " + detail::quote(text) + ": " + why);
            };
            if (p.empty()) return fail("missing prefix length after '/'");
            for (char c : p)
                if (!detail::is_digit(c)) return fail("the prefix must be decimal digits only (no sign, no whitespace)");
            if (p.size() > 1 && p[0] == '0') return fail("the prefix has a leading zero");
            if (p.size() > 3) return fail("the prefix is out of range 0.." + std::to_string(bits));
            prefix = 0;
            for (char c : p) prefix = prefix * 10 + static_cast<unsigned>(c - '0');
            if (prefix > bits) return fail("the prefix " + std::to_string(prefix) + " is out of range 0.." + std::to_string(bits));
        }
        if (normalise) return cidr(a, prefix, true);
        auto made = make(a, prefix);
        if (!made)
            return make_error(errc::invalid_argument, detail::quote(text) + " has host bits set; write " +
                                                          cidr(a, prefix, true).to_string() +
                                                          " (or use parse_normalising)");
        return made;
    }

    address network_;
    std::uint8_t prefix_ = 0;
};

}  // namespace bottle::net
