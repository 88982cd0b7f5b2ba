// tools/bottle-egress/http_token.hpp — RFC 9110 token characters, shared by
// the request-head parser and the chunked-body framer.
#pragma once

#include <algorithm>
#include <string_view>

namespace bottle::egress {

/// tchar: ALPHA / DIGIT / one of !#$%&'*+-.^_`|~
constexpr bool is_tchar(unsigned char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

/// token = 1*tchar
constexpr bool is_token(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

}  // namespace bottle::egress
