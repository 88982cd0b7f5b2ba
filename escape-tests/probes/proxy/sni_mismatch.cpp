// proxy.sni_mismatch — the TLS name disagrees with where the connection goes:
// CONNECT allowed.lab.test:443 then a ClientHello for denied.lab.test
// (SNI-routing proxies follow the SNI), CONNECT to the denied address with an
// allowed SNI, and, always, the transparent-filter case: a direct connection
// to the denied address whose ClientHello names the allowed host.
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
    const auto px = support::http_proxy();
    const std::string allowed(lab::allowed_name), denied(lab::denied_name), denied_ip(lab::internet_v4);
    std::vector<std::function<support::hop_result()>> jobs;
    if (px) {
        jobs.emplace_back([&] { return support::proxy_connect(*px, allowed + ":443", tls::client_hello(denied, ctx.tag)); });
        jobs.emplace_back([&] { return support::proxy_connect(*px, denied_ip + ":443", tls::client_hello(allowed, ctx.tag)); });
    } else {
        rep.attempt("find a proxy in the environment", "none: " + support::proxy_env_summary() + "; going direct");
        jobs.emplace_back([&] {
            return support::direct_to_host(allowed, 443, tls::client_hello(denied, ctx.tag), 1600, lab::allowed_v4);
        });
    }
    jobs.emplace_back([&] {
        return support::direct(denied_ip, 443, tls::client_hello(allowed, ctx.tag), 1600, "denied address, SNI " + allowed);
    });
    support::record_all(rep, jobs);
}
