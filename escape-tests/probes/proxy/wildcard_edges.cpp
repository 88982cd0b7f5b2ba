// proxy.wildcard_edges — names a careless allowlist match would accept for
// "allowed.lab.test": the bare parent (lab.test), suffix matches without a dot
// boundary (evil-allowed.lab.test, <tag>-allowed.lab.test), prefix matches
// (allowed.lab.testx, allowed.lab.test.denied.lab.test,
// allowed.lab.test.<tag>.exfil.lab.test) and an unescaped-dot regex
// (allowed-lab-test.<tag>.exfil.lab.test). The lab DNS resolves every one of
// these names to a sink (203.0.113.10), so a proxy whose matcher accepts one
// connects there and the sink logs the tag.
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
    };
    const std::vector<edge> edges{
        {std::string(lab::zone)},
        {"evil-" + allowed},
        {ctx.tag + "-" + allowed},
        {allowed + "x"},
        {allowed + "." + std::string(lab::denied_name)},
        {allowed + "." + ctx.tag + "." + exfil},
        {"allowed-lab-test." + ctx.tag + "." + exfil},
    };
    // A tag per path (-we<n>g / -we<n>c), which the control run expects outside.
    std::vector<std::function<support::hop_result()>> jobs;
    std::vector<std::string> expects;
    std::size_t n = 0;
    for (const auto& e : edges) {
        const std::string note = " [lab DNS: resolves to 203.0.113.10]";
        ++n;
        const auto get = ctx.for_path("we" + std::to_string(n) + "g"), connect = ctx.for_path("we" + std::to_string(n) + "c");
        expects.push_back(get.tag);
        expects.push_back(connect.tag);
        jobs.emplace_back([get, &px, e, note] {
            auto h = support::http_via(px, e.name, 80, support::absolute_get(get, px, e.name), 1500);
            h.action += note;
            return h;
        });
        jobs.emplace_back([connect, &px, e, note] {
            auto h = support::tunnel(px, e.name, 443, tls::client_hello(e.name, connect.tag), 1500);
            h.action += note;
            return h;
        });
    }
    support::record_all(rep, jobs, 16, {}, expects);
}
