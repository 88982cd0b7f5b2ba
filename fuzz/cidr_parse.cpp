// Fuzz target: cidr::parse / parse_normalising / parse_address on arbitrary
// bytes. Properties checked (abort on violation):
//  - no crash, no sanitizer report, no exception;
//  - on success, to_string() re-parses strictly to an equal value;
//  - strict success implies normalising success with the same value.
#include "bottle/net/cidr.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    using bottle::net::cidr;

    const auto strict = cidr::parse(text);
    const auto normalised = cidr::parse_normalising(text);
    if (strict) {
        const auto again = cidr::parse(strict->to_string());
        if (!again || !(*again == *strict)) {
            std::fprintf(stderr, "round trip failed for %s\n", strict->to_string().c_str());
            std::abort();
        }
        if (!normalised || !(*normalised == *strict)) std::abort();
    }
    if (normalised) {
        const auto again = cidr::parse(normalised->to_string());
        if (!again || !(*again == *normalised)) std::abort();
        (void)bottle::net::classify(normalised->network());
    }
    if (const auto a = bottle::net::parse_address(text)) {
        const auto again = bottle::net::parse_address(a->to_string());
        if (!again || !(*again == *a)) std::abort();
        if (!cidr::host(*a).contains(*a)) std::abort();
    }
    return 0;
}
