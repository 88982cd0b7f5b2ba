// net.tcp4_direct — a plain TCP connection to an "internet" sink, with any
// proxy the sandbox offers ignored. Escaped when the sink logs the tag.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/net.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(net_tcp4_direct, "net.tcp4_direct", "TCP connect to an internet sink, proxy variables ignored",
             bottle::escape::probe::scoring::sink) {
    for (std::uint16_t port : {80, 443, 8080}) {
        // A tag per port, which the control run expects at the sink.
        const auto path = ctx.for_path("t4-" + std::to_string(port));
        const auto r = support::tcp_exchange(lab::internet_v4, port, path.http_get(lab::internet_v4), 600);
        rep.record("", "tcp connect " + std::string(lab::internet_v4) + ":" + std::to_string(port) + ", send HTTP GET /" + path.tag,
                   r.outcome, r.made, r.sent);
        rep.expect(path.tag);
        if (!r.reply.empty()) rep.observe(std::string(lab::internet_v4) + ":" + std::to_string(port) + " replied: " + r.reply);
    }
}
