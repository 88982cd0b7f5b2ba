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
    const std::string zone = "." + std::string(lab::exfil_zone);
    struct shape {
        const char* label;
        std::vector<dns::question> qs;
    };
    // One label per path (<tag>-s<n><u|t>-txt, ...), whole in the query's
    // wire form: the control run expects each at the DNS sink (for the
    // multi-question message, the first question's).
    auto shapes_for = [&](const std::string& p) {
        return std::vector<shape>{
            {"TXT", {{p + "-txt" + zone, dns::type_txt, 1}}},
            {"NULL", {{p + "-null" + zone, dns::type_null, 1}}},
            {"ANY", {{p + "-any" + zone, dns::type_any, 1}}},
            {"3 questions (A, TXT, AAAA)",
             {{p + "-q1" + zone, dns::type_a, 1}, {p + "-q2" + zone, dns::type_txt, 1}, {p + "-q3" + zone, dns::type_aaaa, 1}}},
        };
    };
    std::vector<std::function<support::hop_result()>> jobs;
    std::vector<std::string> expects;
    std::size_t n = 0;
    for (const auto& server : servers) {
        ++n;
        for (bool tcp : {false, true}) {
            const std::string p = ctx.tag + "-s" + std::to_string(n) + (tcp ? "t" : "u");
            for (const auto& s : shapes_for(p)) {
                if (tcp && s.qs.size() > 1) continue;  // one multi-question message (UDP) per server is enough
                expects.push_back(s.qs.front().name.substr(0, s.qs.front().name.size() - zone.size()));
                jobs.emplace_back([server, s, tcp] {
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
    support::record_all(rep, jobs, 32, {}, expects);
}
