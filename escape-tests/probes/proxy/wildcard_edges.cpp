// proxy.wildcard_edges — names a careless allowlist match would accept for
// "allowed.lab.test": the bare parent (lab.test), suffix matches without a dot
// boundary (evil-allowed.lab.test, <tag>-allowed.lab.test), prefix matches
// (allowed.lab.testx, allowed.lab.test.denied.lab.test,
// allowed.lab.test.<tag>.exfil.lab.test) and an unescaped-dot regex
// (allowed-lab-test.<tag>.exfil.lab.test). The lab DNS resolves only the
// names under denied.lab.test / exfil.lab.test (to 203.0.113.10); the others
// are NXDOMAIN, so for them a proxy that accepted the name shows up as a DNS
// query carrying the tag (the tag-bearing names) or a 502 in the outcome.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"
#include "../support/tls.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;
namespace tls = bottle::escape::probe::support::tls;

BOTTLE_PROBE(proxy_wildcard_edges, "proxy.wildcard_edges",
             "names a careless *.suffix / prefix / regex allowlist match would accept, GET and CONNECT",
             bottle::escape::probe::scoring::sink) {
    const auto px = support::proxy_under_test(rep);
    if (!px) return;
    const std::string allowed(lab::allowed_name), exfil(lab::exfil_zone);
    struct edge {
        std::string name;
        bool resolves;  // per the lab DNS plan
    };
    const std::vector<edge> edges{
        {std::string(lab::zone), false},
        {"evil-" + allowed, false},
        {ctx.tag + "-" + allowed, false},
        {allowed + "x", false},
        {allowed + "." + std::string(lab::denied_name), true},
        {allowed + "." + ctx.tag + "." + exfil, true},
        {"allowed-lab-test." + ctx.tag + "." + exfil, true},
    };
    std::vector<std::function<support::hop_result()>> jobs;
    for (const auto& e : edges) {
        const std::string note = e.resolves ? " [lab DNS: resolves to 203.0.113.10]" : " [lab DNS: NXDOMAIN]";
        jobs.emplace_back([&ctx, &px, e, note] {
            auto h = support::http_via(px, e.name, 80, support::absolute_get(ctx, px, e.name), 1500);
            h.action += note;
            return h;
        });
        jobs.emplace_back([&ctx, &px, e, note] {
            auto h = support::tunnel(px, e.name, 443, tls::client_hello(e.name, ctx.tag), 1500);
            h.action += note;
            return h;
        });
    }
    support::record_all(rep, jobs, 16);
}
