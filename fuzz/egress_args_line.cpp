// Fuzz target: bottle-egress's --args-stdin line (parse_args_line, and
// expand_args_stdin reading it from a stream) on arbitrary bytes.
// Properties checked (abort on violation):
//  - no crash, no sanitizer report, no exception;
//  - an accepted line never yields "--args-stdin" or an argument with a NUL
//    byte, and written back as a JSON array it parses to the same strings;
//  - expand_args_stdin accepts the input exactly when it holds a newline
//    within the limit and parse_args_line accepts the bytes before it, and
//    then appends exactly those strings.
#include "bottle-egress/options.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace bottle::egress;
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    const auto parsed = parse_args_line(text);
    if (parsed) {
        boost::json::array again;
        for (const auto& a : *parsed) {
            if (a == "--args-stdin" || a.find('\0') != std::string::npos) std::abort();
            again.emplace_back(a);
        }
        const auto round = parse_args_line(boost::json::serialize(again));
        if (!round || *round != *parsed) std::abort();
    }

    std::istringstream in{std::string(text)};
    const auto expanded = expand_args_stdin({"--args-stdin", "--bottle-id", "x"}, in);
    const std::size_t newline = text.find('\n');
    const bool has_line = newline != std::string_view::npos && newline <= max_args_line_bytes;
    const auto line = has_line ? parse_args_line(text.substr(0, newline)) : parsed;
    if (static_cast<bool>(expanded) != (has_line && static_cast<bool>(line))) std::abort();
    if (expanded) {
        if (expanded->size() != 2 + line->size() || (*expanded)[0] != "--bottle-id") std::abort();
        if (!std::equal(line->begin(), line->end(), expanded->begin() + 2)) std::abort();
    }
    return 0;
}
