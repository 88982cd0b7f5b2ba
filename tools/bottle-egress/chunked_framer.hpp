// tools/bottle-egress/chunked_framer.hpp — where a chunked body ends.
//
// The proxy relays chunked bodies as they arrived (it never re-encodes), but
// it must know exactly where each one ends: the next bytes on a kept-alive
// connection are the next request, which is decided on its own. A framer
// that ends the body at a different byte than the upstream does would let a
// second request ride past the policy inside the first one's body (request
// smuggling), so this framer is strict: hex sizes without signs, spaces or
// overflow, CRLF only, extensions and trailers with limits, trailer lines
// under the same rules as header fields.
#pragma once

#include "bottle/result.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bottle::egress {

class chunked_framer {
public:
    /// Limits on the non-data parts of the body.
    struct limits {
        std::size_t max_line_bytes = 4096;     ///< a size line with its extensions
        std::size_t max_trailer_bytes = 16384; ///< all trailer lines together
    };

    chunked_framer() = default;
    explicit chunked_framer(limits l) : limits_(l) {}

    /// Feeds the next bytes of the stream. Returns how many of them belong to
    /// the body: all of them unless the body ended inside `bytes` (then
    /// `done()` is true and the rest belongs to whatever follows).
    /// parse_error / limit_exceeded: the body is malformed; stop relaying.
    [[nodiscard]] result<std::size_t> feed(std::string_view bytes);

    /// True once the last chunk and the trailer section have been seen.
    [[nodiscard]] bool done() const noexcept { return state_ == state::done; }

private:
    enum class state { size, size_ext, size_lf, data, data_cr, data_lf, trailer, trailer_lf, done };

    limits limits_{};
    state state_ = state::size;
    std::uint64_t remaining_ = 0;   ///< data bytes left in the current chunk
    std::size_t size_digits_ = 0;
    std::size_t line_bytes_ = 0;     ///< bytes of the current size or trailer line
    std::size_t trailer_bytes_ = 0;
    bool line_has_colon_ = false;    ///< trailer line: the name ended
};

}  // namespace bottle::egress
