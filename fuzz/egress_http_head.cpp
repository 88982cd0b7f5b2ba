// Fuzz target: bottle-egress's HTTP/1.1 head parsers on arbitrary bytes.
// Properties checked (abort on violation):
//  - no crash, no sanitizer report, no exception;
//  - a complete head uses at most the bytes given, and parses the same from
//    exactly those bytes (what follows never changes the head);
//  - every shorter prefix of a complete head is "need more" or refused,
//    never a different complete head (no early end of the head);
//  - a request head that ends in a complete target has a non-zero port and
//    a non-empty host, and its framing agrees with its fields.
#include "bottle-egress/http_head.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

void check_request(std::string_view text) {
    using namespace bottle::egress;
    const auto r = parse_request_head(text);
    if (!r || !*r) return;
    const request_head& h = **r;
    if (h.head_bytes > text.size() || h.head_bytes < 4) std::abort();
    if (h.port == 0 || h.host.empty()) std::abort();
    if (h.form == target_form::absolute && (h.origin_path.empty() || h.origin_path[0] != '/')) std::abort();
    if (h.body == body_kind::length && h.content_length == 0) std::abort();
    if (h.body == body_kind::chunked && !h.field("transfer-encoding")) std::abort();
    const auto again = parse_request_head(text.substr(0, h.head_bytes));
    if (!again || !*again || (*again)->head_bytes != h.head_bytes || (*again)->host != h.host) std::abort();
    const auto shorter = parse_request_head(text.substr(0, h.head_bytes - 1));
    if (shorter && *shorter) std::abort();
}

void check_response(std::string_view text, std::string_view method) {
    using namespace bottle::egress;
    const auto r = parse_response_head(text, method);
    if (!r || !*r) return;
    const response_head& h = **r;
    if (h.head_bytes > text.size() || h.status < 100 || h.status > 999) std::abort();
    if (method == "HEAD" && h.body != body_kind::none) std::abort();
    const auto shorter = parse_response_head(text.substr(0, h.head_bytes - 1), method);
    if (shorter && *shorter) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_request(text);
    check_response(text, "GET");
    check_response(text, "HEAD");
    if (const auto a = bottle::egress::parse_authority(text, 0)) {
        if (a->port == 0 || a->host.empty()) std::abort();
    }
    return 0;
}
