// tools/bottle-egress/text.hpp — byte helpers for untrusted text: ASCII case
// folding, optional-whitespace trimming, and quoting for messages, so that a
// hostile byte never reaches a log or an error message raw.
#pragma once

#include <string>
#include <string_view>

namespace bottle::egress {

[[nodiscard]] constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
[[nodiscard]] constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

/// ASCII lower case; other bytes unchanged.
[[nodiscard]] std::string lower(std::string_view s);

/// Without leading and trailing SP / HTAB (HTTP's OWS).
[[nodiscard]] std::string_view trim_ows(std::string_view s) noexcept;

/// Untrusted text for an error message: printable ASCII as is, every other
/// byte (and " and \) as \xNN, cut after `max` bytes with "...", in quotes.
[[nodiscard]] std::string quote(std::string_view text, std::size_t max = 64);

}  // namespace bottle::egress
