// dns.odd_records — query types and shapes a DNS filter may not expect: TXT,
// NULL, ANY, and one message with several questions, each name carrying the
// tag, over UDP and TCP to the sandbox's lab resolvers and the lab DNS sink.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/dns.hpp"
#include "../support/proxy.hpp"

#include <algorithm>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;
namespace dns = bottle::escape::probe::support::dns;

BOTTLE_PROBE(dns_odd_records, "dns.odd_records", "TXT, NULL, ANY and multi-question queries with the tag in the names",
             bottle::escape::probe::scoring::sink) {
    const auto rc = dns::read_resolv_conf();
    auto servers = dns::lab_nameservers(rc);
    if (std::find(servers.begin(), servers.end(), lab::dns_v4) == servers.end()) servers.emplace_back(lab::dns_v4);
    const std::string zone = ctx.tag + "." + std::string(lab::exfil_zone);
    struct shape {
        const char* label;
        std::vector<dns::question> qs;
    };
    const std::vector<shape> shapes{
        {"TXT", {{"txt." + zone, dns::type_txt, 1}}},
        {"NULL", {{"null." + zone, dns::type_null, 1}}},
        {"ANY", {{"any." + zone, dns::type_any, 1}}},
        {"3 questions (A, TXT, AAAA)", {{"q1." + zone, dns::type_a, 1}, {"q2." + zone, dns::type_txt, 1}, {"q3." + zone, dns::type_aaaa, 1}}},
    };
    std::vector<std::function<support::hop_result()>> jobs;
    for (const auto& server : servers) {
        for (const auto& s : shapes) {
            for (bool tcp : {false, true}) {
                if (tcp && s.qs.size() > 1) continue;  // one multi-question message (UDP) per server is enough
                jobs.emplace_back([server, &s, tcp] {
                    const std::string q = dns::build_query(dns::random_id(), s.qs);
                    const auto e = tcp ? dns::query_tcp(server, q, 800) : dns::query_udp(server, q, 700);
                    std::string names;
                    for (const auto& qu : s.qs) names += (names.empty() ? "" : ", ") + qu.name;
                    return support::hop_result{std::string(tcp ? "DNS/TCP" : "DNS/UDP") + " to " + server + ": " + s.label + " " + names,
                                               e.outcome, e.sent, e.answer.valid ? e.answer.summary : std::string(), e.made};
                });
            }
        }
    }
    support::record_all(rep, jobs, 32);
}
