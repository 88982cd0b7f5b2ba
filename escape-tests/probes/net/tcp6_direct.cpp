// net.tcp6_direct — a plain TCP connection to the IPv6 "internet" sink, proxy
// variables ignored: sandboxes that filter only IPv4 leak here.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/net.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(net_tcp6_direct, "net.tcp6_direct", "TCP connect to the IPv6 internet sink, proxy variables ignored",
             bottle::escape::probe::scoring::sink) {
    const std::string host = "[" + std::string(lab::internet_v6) + "]";
    for (std::uint16_t port : {80, 443, 8080}) {
        // A tag per port, which the control run expects at the sink.
        const auto path = ctx.for_path("t6-" + std::to_string(port));
        const auto r = support::tcp_exchange(lab::internet_v6, port, path.http_get(host), 600);
        rep.record("", "tcp connect " + host + ":" + std::to_string(port) + ", send HTTP GET /" + path.tag, r.outcome, r.made, r.sent);
        rep.expect(path.tag);
        if (!r.reply.empty()) rep.observe(host + ":" + std::to_string(port) + " replied: " + r.reply);
    }
}
