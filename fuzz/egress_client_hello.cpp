// Fuzz target: bottle-egress's ClientHello / SNI parser on arbitrary bytes.
// Properties checked (abort on violation):
//  - no crash, no sanitizer report, no exception;
//  - a complete hello uses at most the bytes given and has a non-empty name;
//  - bytes after the hello never change the result;
//  - every shorter prefix of a complete hello is "need more": the parser
//    never refuses, and never decides, before it has the whole hello;
//  - nothing larger than the buffer limit is ever accepted.
#include "bottle-egress/client_hello.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace bottle::egress;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto r = parse_client_hello(text);
    if (!r || !*r) return 0;
    const client_hello& h = **r;
    if (h.bytes > text.size() || h.bytes > max_client_hello_bytes || h.server_name.empty()) std::abort();
    const auto exact = parse_client_hello(text.substr(0, h.bytes));
    if (!exact || !*exact || (*exact)->server_name != h.server_name || (*exact)->bytes != h.bytes) std::abort();
    for (std::size_t cut : {std::size_t{0}, std::size_t{1}, h.bytes / 2, h.bytes - 1}) {
        const auto prefix = parse_client_hello(text.substr(0, cut));
        if (!prefix || *prefix) std::abort();
    }
    const auto small = parse_client_hello(text, h.bytes - 1);
    if (small && *small) std::abort();
    return 0;
}
