// bottle/policy/detail/ipv4_forms.hpp — IPv4 literals in every spelling that
// inet_aton(3) and the WHATWG URL host parser accept (not API).
//
// A host whose last label is a number ("127.1", "0x7f.1", "2130706433",
// "1.2.3.4.5") is read as an IPv4 address by browsers, curl and glibc, never
// looked up as a name. We read it the same way so that no spelling of an
// address slips past the matcher as a "name"; a host that ends in a number
// but is not a valid address is refused outright.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bottle::policy::detail {

enum class v4_form_kind {
    not_numeric,  ///< the last label is not a number: the text is a name
    invalid,      ///< ends in a number but is no valid IPv4 spelling: refuse
    address,      ///< a valid IPv4 literal; `value` holds it
};

struct v4_form {
    v4_form_kind kind = v4_form_kind::invalid;  // fail closed
    std::uint32_t value = 0;
};

inline constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
inline constexpr bool is_hex_digit(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline constexpr unsigned hex_value(char c) noexcept {
    if (is_digit(c)) return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    return static_cast<unsigned>(c - 'A' + 10);
}

/// True when `label` is a number in the WHATWG sense: decimal digits, or
/// "0x"/"0X" followed by hex digits (possibly none: "0x" is zero).
inline bool is_numeric_label(std::string_view label) noexcept {
    if (label.empty()) return false;
    if (label.size() >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X')) {
        for (char c : label.substr(2))
            if (!is_hex_digit(c)) return false;
        return true;
    }
    for (char c : label)
        if (!is_digit(c)) return false;
    return true;
}

/// One part as inet_aton reads it: 0x.. hex, 0.. octal, else decimal.
/// Returns false on a bad digit or a value above 2^32 - 1.
inline bool parse_v4_part(std::string_view part, std::uint64_t& out) noexcept {
    if (part.empty()) return false;
    unsigned base = 10;
    if (part.size() >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
        base = 16;
        part.remove_prefix(2);
    } else if (part.size() >= 2 && part[0] == '0') {
        base = 8;
        part.remove_prefix(1);
    }
    std::uint64_t v = 0;
    for (char c : part) {
        if (base == 16 ? !is_hex_digit(c) : !is_digit(c)) return false;
        const unsigned d = hex_value(c);
        if (d >= base) return false;
        v = v * base + d;
        if (v > 0xffffffffULL) return false;
    }
    out = v;
    return true;
}

/// Reads `host` (no trailing dot, no brackets) as an IPv4 literal if its
/// last label is a number. 1 to 4 parts; every part but the last is one
/// byte, the last fills the remaining bytes (127.1 = 127.0.0.1).
inline v4_form parse_v4_forms(std::string_view host) noexcept {
    const auto last_dot = host.rfind('.');
    const std::string_view last = last_dot == std::string_view::npos ? host : host.substr(last_dot + 1);
    if (!is_numeric_label(last)) return {v4_form_kind::not_numeric, 0};
    std::uint64_t parts[4] = {};
    std::size_t n = 0;
    std::size_t start = 0;
    while (true) {
        const auto dot = host.find('.', start);
        const std::string_view part = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (n == 4) return {};
        if (!parse_v4_part(part, parts[n])) return {};
        ++n;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    std::uint64_t value = 0;
    for (std::size_t i = 0; i + 1 < n; ++i) {
        if (parts[i] > 255) return {};
        value |= parts[i] << (8 * (3 - i));
    }
    const unsigned last_bits = 8 * static_cast<unsigned>(5 - n);  // 32, 24, 16 or 8
    if (last_bits < 32 && parts[n - 1] >= (std::uint64_t{1} << last_bits)) return {};
    value |= parts[n - 1];
    return {v4_form_kind::address, static_cast<std::uint32_t>(value)};
}

}  // namespace bottle::policy::detail
