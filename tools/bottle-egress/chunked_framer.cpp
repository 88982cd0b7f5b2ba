// tools/bottle-egress/chunked_framer.cpp — see chunked_framer.hpp.
#include "bottle-egress/chunked_framer.hpp"
#include "bottle-egress/http_token.hpp"

#include <algorithm>
#include <string>

namespace bottle::egress {

namespace {

constexpr std::size_t max_size_digits = 15;  // < 2^60: no overflow

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

error bad(std::string message) { return make_error(errc::parse_error, "chunked body: " + std::move(message)); }

}  // namespace

result<std::size_t> chunked_framer::feed(std::string_view bytes) {
    std::size_t i = 0;
    while (i < bytes.size() && state_ != state::done) {
        if (state_ == state::data) {
            const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size() - i));
            i += take;
            remaining_ -= take;
            if (remaining_ == 0) state_ = state::data_cr;
            continue;
        }
        const char c = bytes[i++];
        const auto u = static_cast<unsigned char>(c);
        if (c == '\n' && state_ != state::size_lf && state_ != state::data_lf && state_ != state::trailer_lf) {
            return bad("bare LF");
        }
        switch (state_) {
            case state::size: {
                const int v = hex_value(c);
                if (v >= 0) {
                    if (++size_digits_ > max_size_digits) return bad("chunk size too large");
                    remaining_ = remaining_ * 16 + static_cast<unsigned>(v);
                } else if (size_digits_ > 0 && c == ';') {
                    state_ = state::size_ext;
                } else if (size_digits_ > 0 && c == '\r') {
                    state_ = state::size_lf;
                } else {
                    return bad("malformed chunk size");
                }
                break;
            }
            case state::size_ext:
                if (c == '\r') {
                    state_ = state::size_lf;
                } else if (c != '\t' && (u < 0x20 || u >= 0x7f)) {
                    return bad("invalid byte in a chunk extension");
                }
                if (++line_bytes_ > limits_.max_line_bytes) {
                    return make_error(errc::limit_exceeded, "chunked body: chunk extension longer than the limit");
                }
                break;
            case state::size_lf:
                if (c != '\n') return bad("bare CR after the chunk size");
                line_bytes_ = 0;
                size_digits_ = 0;
                state_ = remaining_ == 0 ? state::trailer : state::data;
                break;
            case state::data_cr:
                if (c != '\r') return bad("chunk data longer than its size");
                state_ = state::data_lf;
                break;
            case state::data_lf:
                if (c != '\n') return bad("bare CR after chunk data");
                state_ = state::size;
                break;
            case state::trailer:
                if (c == '\r') {
                    if (line_bytes_ > 0 && !line_has_colon_) return bad("trailer line without a colon");
                    state_ = state::trailer_lf;
                    break;
                }
                if (++trailer_bytes_ > limits_.max_trailer_bytes) {
                    return make_error(errc::limit_exceeded, "chunked body: trailer section longer than the limit");
                }
                if (!line_has_colon_) {
                    if (c == ':') {
                        if (line_bytes_ == 0) return bad("trailer field with an empty name");
                        line_has_colon_ = true;
                    } else if (!is_tchar(u)) {
                        return bad(line_bytes_ == 0 && (c == ' ' || c == '\t') ? "obs-fold in the trailer"
                                                                               : "invalid byte in a trailer field name");
                    }
                } else if (c != '\t' && (u < 0x20 || u == 0x7f)) {
                    return bad("control byte in a trailer field value");
                }
                ++line_bytes_;
                break;
            case state::trailer_lf:
                if (c != '\n') return bad("bare CR in the trailer");
                state_ = line_bytes_ == 0 ? state::done : state::trailer;
                line_bytes_ = 0;
                line_has_colon_ = false;
                break;
            case state::data:
            case state::done:
                break;
        }
    }
    return i;
}

}  // namespace bottle::egress
