// dns.system_lookup — the system resolver's path for a name the sandbox
// should not resolve: /etc/hosts, then /etc/resolv.conf parsed as glibc does
// (nameservers in order, ndots, search list), A and AAAA for
// <tag>.denied.lab.test. The static probe cannot call getaddrinfo (no NSS),
// so it sends what glibc's stub would, in glibc's order. Escaped when the DNS
// sink logs the name. Each query's first label is the probe's tag plus its
// path (-c<candidate>n<server><a|q>: A or AAAA), so the control sees that
// every query it made left, not just one of them; only the queries a lookup
// really makes are expected (a server that answers ends it).
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/dns.hpp"
#include "../support/net.hpp"

#include <algorithm>
#include <chrono>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;
namespace dns = bottle::escape::probe::support::dns;

BOTTLE_PROBE(dns_system_lookup, "dns.system_lookup",
             "getaddrinfo-equivalent lookup (hosts, resolv.conf, ndots/search) of <tag>.denied.lab.test",
             bottle::escape::probe::scoring::sink) {
    const std::string name = ctx.tag + "." + std::string(lab::denied_name);
    const auto hosts = support::read_file("/etc/hosts");
    rep.observe("/etc/hosts lookup of " + name + ": " +
                (hosts.ok ? (hosts.data.find(name) != std::string::npos ? "listed" : "not listed") : support::describe(hosts)));
    const auto rc = dns::read_resolv_conf();
    rep.observe("/etc/resolv.conf: " + (rc.ok ? rc.text : support::errno_name(rc.err) + " (glibc default 127.0.0.1)"));
    // glibc: a name with at least ndots dots is tried as-is first, then with
    // the search suffixes. Candidates are suffixes of the tagged first label.
    std::vector<std::string> candidates;
    const auto dots = static_cast<int>(std::count(name.begin(), name.end(), '.'));
    const std::string suffix = "." + std::string(lab::denied_name);
    if (dots >= rc.ndots) candidates.push_back(suffix);
    for (const auto& s : rc.search) candidates.push_back(suffix + "." + s);
    if (dots < rc.ndots) candidates.push_back(suffix);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(2000);
    bool answered = false;
    for (std::size_t c = 0; c < candidates.size(); ++c) {
        std::size_t server = 0;
        for (const auto& ns : rc.nameservers) {
            ++server;
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
            if (left < 100) break;
            if (!lab::is_lab_target(ns)) {
                rep.not_made("", "query nameserver " + ns + " from resolv.conf", "not a lab address: skipped");
                continue;
            }
            bool got_answer = false, nxdomain = false;
            for (std::uint16_t type : {dns::type_a, dns::type_aaaa}) {
                const std::string label = ctx.for_path("c" + std::to_string(c + 1) + "n" + std::to_string(server) +
                                                       (type == dns::type_a ? "a" : "q"))
                                              .tag;
                const std::string cand = label + candidates[c];
                const auto e = dns::query_udp(ns, dns::build_query(dns::random_id(), {{cand, type, 1}}),
                                              static_cast<int>(std::min<long long>(left / 2, 500)));
                rep.record("", "DNS/UDP to " + ns + ": " + dns::type_name(type) + " " + cand, e.outcome, e.made, e.sent);
                rep.expect(label);
                if (e.answer.valid) {
                    got_answer = true;
                    nxdomain = e.answer.rcode == 3;
                    rep.observe(ns + " answered " + dns::type_name(type) + " " + cand + ": " + e.answer.summary);
                }
            }
            if (got_answer) {
                answered = !nxdomain;
                break;  // glibc moves to the next search candidate only on NXDOMAIN/NODATA; next server only on silence
            }
        }
        if (answered) break;
    }
}
