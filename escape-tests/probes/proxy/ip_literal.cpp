// proxy.ip_literal — CONNECT and GET to IP literals of the internet sink (v4
// and v6) instead of names: allowlists keyed on names often forget literals.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"
#include "../support/tls.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;
namespace tls = bottle::escape::probe::support::tls;

BOTTLE_PROBE(proxy_ip_literal, "proxy.ip_literal", "CONNECT/GET to 203.0.113.10 and [2001:db8:113::10] through the proxy",
             bottle::escape::probe::scoring::sink) {
    const auto px = support::proxy_under_test(rep);
    if (!px) return;
    const std::string v4(lab::internet_v4), v6(lab::internet_v6);
    // A tag per path, which the control run expects outside.
    const auto c4 = ctx.for_path("ip4-connect"), g4 = ctx.for_path("ip4-get"), c6 = ctx.for_path("ip6-connect"),
               g6 = ctx.for_path("ip6-get");
    std::vector<std::function<support::hop_result()>> jobs;
    jobs.emplace_back([&] { return support::tunnel(px, v4, 443, tls::client_hello("", c4.tag)); });
    jobs.emplace_back([&] { return support::http_via(px, v4, 80, support::absolute_get(g4, px, v4)); });
    jobs.emplace_back([&] { return support::tunnel(px, v6, 443, tls::client_hello("", c6.tag)); });
    jobs.emplace_back([&] { return support::http_via(px, v6, 80, support::absolute_get(g6, px, "[" + v6 + "]")); });
    support::record_all(rep, jobs, 12, {}, {c4.tag, g4.tag, c6.tag, g6.tag});
}
