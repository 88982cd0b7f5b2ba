// Fuzz target: everything bottle-escape reads that a sandbox controls — DNS
// queries arriving at the lab's DNS sink, bottle-probe's JSON report lines,
// and sink log lines (whose data field holds sandbox bytes). None may crash;
// an accepted DNS query must produce an answer that parses back as a response
// with the same id.
#include "lab/dns_wire.hpp"
#include "runner/score.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (auto q = bottle::escape::lab::dns::parse_query(input)) {
        if (q->questions.empty()) std::abort();
        const std::string a = bottle::escape::lab::dns::answer(*q);
        if (a.size() < 12 || a.substr(0, 2) != input.substr(0, 2)) std::abort();
        if (bottle::escape::lab::dns::parse_query(a)) std::abort();  // an answer is not a query
    }
    if (auto r = bottle::escape::protocol::decode_probe_line(input)) {
        if (r->id.empty()) std::abort();
        const auto again = bottle::escape::protocol::decode_probe_line(bottle::escape::protocol::encode(*r));
        if (!again || !(*again == *r)) std::abort();
        bottle::escape::ground_truth truth;
        truth.nonce = "0123456789ab";
        (void)bottle::escape::score({{r->id, "", 15, {"udp4", "proxy"}}}, {*r}, truth);
    }
    if (auto e = bottle::escape::protocol::decode_event_line(input)) {
        // What decodes must encode and decode to the same event.
        const auto again = bottle::escape::protocol::decode_event_line(bottle::escape::protocol::encode(*e));
        if (!again || !(*again == *e)) std::abort();
    }
    (void)bottle::escape::tags_in(input, "0123456789ab", {"net-icmp-raw", "net-icmp"});
    return 0;
}
