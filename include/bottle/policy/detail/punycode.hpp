// bottle/policy/detail/punycode.hpp — RFC 3492 Punycode encoding of one
// UTF-8 label into its IDNA A-label ("bücher" -> "xn--bcher-kva"), so the
// Unicode rules of the Public Suffix List compare with the A-labels hosts
// are sent in (not API). Only encoding is needed; the PSL's labels are
// already in IDNA normal form, so no mapping is applied.
#pragma once

#include "bottle/net/detail/strict_text.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::policy::detail {

/// Code points of valid UTF-8 text, or nullopt.
inline std::optional<std::vector<std::uint32_t>> utf8_code_points(std::string_view s) {
    if (!net::detail::is_valid_utf8(s)) return std::nullopt;
    std::vector<std::uint32_t> out;
    for (std::size_t i = 0; i < s.size();) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        std::size_t len = b0 < 0x80 ? 1 : b0 < 0xe0 ? 2 : b0 < 0xf0 ? 3 : 4;
        std::uint32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1fu) : len == 3 ? (b0 & 0x0fu) : (b0 & 0x07u);
        for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3fu);
        out.push_back(cp);
        i += len;
    }
    return out;
}

/// "xn--" + Punycode of `label` when it has a non-ASCII code point; the
/// label unchanged when it is ASCII; nullopt for invalid UTF-8 or overflow.
inline std::optional<std::string> to_a_label(std::string_view label) {
    const auto cps = utf8_code_points(label);
    if (!cps) return std::nullopt;
    bool ascii = true;
    for (auto cp : *cps) ascii = ascii && cp < 0x80;
    if (ascii) return std::string(label);

    constexpr std::uint32_t base = 36, tmin = 1, tmax = 26, skew = 38, damp = 700, initial_bias = 72, initial_n = 128;
    auto digit = [](std::uint32_t d) { return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26)); };
    auto adapt = [&](std::uint32_t delta, std::uint32_t points, bool first) {
        delta = first ? delta / damp : delta / 2;
        delta += delta / points;
        std::uint32_t k = 0;
        while (delta > ((base - tmin) * tmax) / 2) {
            delta /= base - tmin;
            k += base;
        }
        return k + (base - tmin + 1) * delta / (delta + skew);
    };
    std::string out;
    for (auto cp : *cps)
        if (cp < 0x80) out += static_cast<char>(cp);
    const auto basic = static_cast<std::uint32_t>(out.size());
    if (basic > 0) out += '-';
    std::uint32_t n = initial_n, delta = 0, bias = initial_bias, handled = basic;
    const auto total = static_cast<std::uint32_t>(cps->size());
    while (handled < total) {
        std::uint32_t m = 0xffffffffu;
        for (auto cp : *cps)
            if (cp >= n && cp < m) m = cp;
        const std::uint64_t step = std::uint64_t{m - n} * (handled + 1);
        if (step > 0xffffffffu - delta) return std::nullopt;
        delta += static_cast<std::uint32_t>(step);
        n = m;
        for (auto cp : *cps) {
            if (cp < n && ++delta == 0) return std::nullopt;
            if (cp != n) continue;
            std::uint32_t q = delta;
            for (std::uint32_t k = base;; k += base) {
                const std::uint32_t t = k <= bias ? tmin : k >= bias + tmax ? tmax : k - bias;
                if (q < t) break;
                out += digit(t + (q - t) % (base - t));
                q = (q - t) / (base - t);
            }
            out += digit(q);
            bias = adapt(delta, handled + 1, handled == basic);
            delta = 0;
            ++handled;
        }
        ++delta;
        ++n;
    }
    return "xn--" + out;
}

}  // namespace bottle::policy::detail
