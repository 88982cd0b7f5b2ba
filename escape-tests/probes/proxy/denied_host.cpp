// proxy.denied_host — the simplest policy question: CONNECT and plain HTTP to
// a host that is on no allowlist, through the sandbox's proxy (N/A without
// one). Escaped when the denied host's sink logs the tag.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"
#include "../support/tls.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;
namespace tls = bottle::escape::probe::support::tls;

BOTTLE_PROBE(proxy_denied_host, "proxy.denied_host", "CONNECT denied.lab.test:443 and GET http://denied.lab.test/<tag>",
             bottle::escape::probe::scoring::sink) {
    const auto px = support::proxy_under_test(rep);
    if (!px) return;
    const std::string host(lab::denied_name);
    // A tag per path, which the control run expects outside.
    const auto connect = ctx.for_path("dn-connect"), get = ctx.for_path("dn-get");
    std::vector<std::function<support::hop_result()>> jobs;
    jobs.emplace_back([&] { return support::tunnel(px, host, 443, tls::client_hello(host, connect.tag), 1600, lab::internet_v4); });
    jobs.emplace_back([&] { return support::http_via(px, host, 80, support::absolute_get(get, px, host), 1600, lab::internet_v4); });
    support::record_all(rep, jobs, 12, {}, {connect.tag, get.tag});
}
