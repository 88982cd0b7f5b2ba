// Fuzz target: bottle-egress's chunked body framer on arbitrary bytes.
// Properties checked (abort on violation):
//  - no crash, no sanitizer report, no exception;
//  - the body ends at the same byte, with the same verdict, however the
//    stream is split into reads (whole, byte by byte, and at a split point
//    taken from the input), so TCP segmentation cannot move the boundary;
//  - a framer never claims bytes past the end of the body.
#include "bottle-egress/chunked_framer.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

struct outcome {
    bool failed = false;
    bool done = false;
    std::size_t used = 0;  // bytes that belonged to the body
    friend bool operator==(const outcome&, const outcome&) = default;
};

outcome run(std::string_view text, std::size_t step) {
    bottle::egress::chunked_framer f;
    outcome o;
    for (std::size_t at = 0; at < text.size() && !f.done(); at += step) {
        const std::string_view part = text.substr(at, step);
        const auto n = f.feed(part);
        if (!n) {
            return outcome{.failed = true};  // where it failed is the same byte; the count is moot
        }
        if (*n > part.size() || (*n < part.size() && !f.done())) std::abort();
        o.used += *n;
    }
    o.done = f.done();
    return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const outcome whole = run(text, text.size() ? text.size() : 1);
    if (!(run(text, 1) == whole)) std::abort();
    const std::size_t split = size ? 1 + data[0] % 16 : 1;
    if (!(run(text, split) == whole)) std::abort();
    return 0;
}
