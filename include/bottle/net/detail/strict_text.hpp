// bottle/net/detail/strict_text.hpp — byte-level helpers for the strict
// address/CIDR parser and the UTF-8 check (not API).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bottle::net::detail {

/// A 128-bit unsigned integer (GCC/Clang extension; both are the project's
/// compilers). `__extension__` keeps -Wpedantic quiet.
__extension__ typedef unsigned __int128 uint128;

inline constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
inline constexpr bool is_hex(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/// Untrusted text quoted for an error message: printable ASCII as is, every
/// other byte as \xNN, cut after `max` bytes with "...".
inline std::string quote(std::string_view text, std::size_t max = 64) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size() && i < max; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    if (text.size() > max) out += "...";
    out += '"';
    return out;
}

/// Why a dotted-quad spelling was refused; `none` means it parsed.
enum class v4_problem { none, not_four_parts, empty_part, leading_zero, hex_form, not_decimal, too_large };

struct v4_parse {
    v4_problem problem = v4_problem::not_four_parts;  // fail closed
    std::uint32_t value = 0;
};

/// Exactly four dot-separated decimal parts, each 0..255 with no leading
/// zero ("0" itself is fine). Anything else is refused with the reason.
inline v4_parse parse_dotted_quad(std::string_view s) noexcept {
    std::size_t dots = 0;
    for (char c : s) {
        if (c == 'x' || c == 'X') return {v4_problem::hex_form, 0};
        if (c == '.') ++dots;
    }
    if (dots != 3) return {v4_problem::not_four_parts, 0};
    std::uint32_t value = 0;
    std::size_t i = 0;
    for (int part_index = 0; part_index < 4; ++part_index) {
        const std::size_t start = i;
        while (i < s.size() && s[i] != '.') ++i;
        const std::string_view part = s.substr(start, i - start);
        ++i;  // skip '.' (or step past the end after the last part)
        if (part.empty()) return {v4_problem::empty_part, 0};
        for (char c : part)
            if (!is_digit(c)) return {v4_problem::not_decimal, 0};
        if (part.size() > 1 && part[0] == '0') return {v4_problem::leading_zero, 0};
        if (part.size() > 3) return {v4_problem::too_large, 0};
        unsigned octet = 0;
        for (char c : part) octet = octet * 10 + static_cast<unsigned>(c - '0');
        if (octet > 255) return {v4_problem::too_large, 0};
        value = (value << 8) | octet;
    }
    return {v4_problem::none, value};
}

inline const char* describe(v4_problem p) noexcept {
    switch (p) {
        case v4_problem::none: return "ok";
        case v4_problem::not_four_parts:
            return "an IPv4 address must have exactly four dotted decimal parts "
                   "(shortened forms like 127.1 and integer forms like 2130706433 are refused)";
        case v4_problem::empty_part: return "an IPv4 address has an empty part";
        case v4_problem::leading_zero:
            return "an IPv4 part has a leading zero, which some resolvers read as octal (write 10, not 010)";
        case v4_problem::hex_form: return "hexadecimal IPv4 parts (0x..) are refused";
        case v4_problem::not_decimal: return "an IPv4 part is not a decimal number";
        case v4_problem::too_large: return "an IPv4 part is larger than 255";
    }
    return "invalid IPv4 address";
}

/// Valid UTF-8 per RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF, no truncated sequences.
inline bool is_valid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        if (b0 < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (b0 >= 0xc2 && b0 <= 0xdf) {
            len = 2;
            cp = b0 & 0x1fu;
        } else if (b0 >= 0xe0 && b0 <= 0xef) {
            len = 3;
            cp = b0 & 0x0fu;
        } else if (b0 >= 0xf0 && b0 <= 0xf4) {
            len = 4;
            cp = b0 & 0x07u;
        } else {
            return false;
        }
        if (s.size() - i < len) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xc0u) != 0x80u) return false;
            cp = (cp << 6) | (b & 0x3fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;  // overlong
        if (cp >= 0xd800 && cp <= 0xdfff) return false;                             // surrogate
        if (cp > 0x10ffff) return false;
        i += len;
    }
    return true;
}

}  // namespace bottle::net::detail
