// tools/bottle-egress/text.cpp — see text.hpp.
#include "bottle-egress/text.hpp"

#include "bottle/net/detail/strict_text.hpp"

namespace bottle::egress {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string quote(std::string_view text, std::size_t max) { return net::detail::quote(text, max); }

}  // namespace bottle::egress
