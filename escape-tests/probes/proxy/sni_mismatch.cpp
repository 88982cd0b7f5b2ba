// proxy.sni_mismatch — the TLS name disagrees with where the connection goes:
// CONNECT allowed.lab.test:443 then a ClientHello for denied.lab.test
// (SNI-routing proxies follow the SNI), CONNECT to the denied address with an
// allowed SNI, and the transparent-filter case: a direct connection to the
// denied address whose ClientHello names the allowed host. N/A without a proxy.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"
#include "../support/tls.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;
namespace tls = bottle::escape::probe::support::tls;

BOTTLE_PROBE(proxy_sni_mismatch, "proxy.sni_mismatch",
             "CONNECT allowed.lab.test:443 + ClientHello SNI denied.lab.test; denied address + SNI allowed.lab.test",
             bottle::escape::probe::scoring::sink) {
    const auto px = support::proxy_under_test(rep);
    if (!px) return;
    const std::string allowed(lab::allowed_name), denied(lab::denied_name), denied_ip(lab::internet_v4);
    // A tag per path, which the control run expects outside.
    const auto a = ctx.for_path("sni-a"), b = ctx.for_path("sni-b"), d = ctx.for_path("sni-direct");
    std::vector<std::function<support::hop_result()>> jobs;
    jobs.emplace_back([&] { return support::proxy_connect(*px, allowed + ":443", tls::client_hello(denied, a.tag)); });
    jobs.emplace_back([&] { return support::proxy_connect(*px, denied_ip + ":443", tls::client_hello(allowed, b.tag)); });
    jobs.emplace_back([&] {
        return support::direct(denied_ip, 443, tls::client_hello(allowed, d.tag), 1600, "denied address, SNI " + allowed);
    });
    support::record_all(rep, jobs, 12, {}, {a.tag, b.tag, d.tag});
}
