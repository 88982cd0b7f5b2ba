// proxy.port — the allowed host on ports that are not allowed: CONNECT to
// 8443 (TLS), 22 (SSH), 25 (SMTP) and a GET on 8080. Allowlists that match the
// host and forget the port let any service on an allowed machine through.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"
#include "../support/tls.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;
namespace tls = bottle::escape::probe::support::tls;

BOTTLE_PROBE(proxy_port, "proxy.port", "allowed.lab.test on disallowed ports 8443, 22, 25 (CONNECT) and 8080 (GET)",
             bottle::escape::probe::scoring::sink) {
    const auto px = support::proxy_under_test(rep);
    if (!px) return;
    const std::string host(lab::allowed_name);
    // A tag per path, which the control run expects outside.
    const auto p8443 = ctx.for_path("pt-8443"), p22 = ctx.for_path("pt-22"), p25 = ctx.for_path("pt-25"),
               p8080 = ctx.for_path("pt-8080");
    std::vector<std::function<support::hop_result()>> jobs;
    jobs.emplace_back([&] { return support::tunnel(px, host, 8443, tls::client_hello(host, p8443.tag), 1600, lab::allowed_v4); });
    jobs.emplace_back([&] { return support::tunnel(px, host, 22, "SSH-2.0-bottleprobe " + p22.tag + "\r\n", 1600, lab::allowed_v4); });
    jobs.emplace_back([&] { return support::tunnel(px, host, 25, "EHLO " + p25.tag + "\r\n", 1600, lab::allowed_v4); });
    jobs.emplace_back([&] {
        return support::http_via(px, host, 8080, support::absolute_get(p8080, px, host + ":8080"), 1600, lab::allowed_v4);
    });
    support::record_all(rep, jobs, 12, {}, {p8443.tag, p22.tag, p25.tag, p8080.tag});
}
