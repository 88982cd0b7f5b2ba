// proxy.host_mismatch — an HTTP request whose Host header disagrees with its
// target: absolute URI for allowed.lab.test with Host: denied.lab.test and the
// reverse, an origin-form request naming the denied host (proxies that route
// by Host), HTTP inside a CONNECT tunnel to the allowed host, and a
// direct request to the denied address claiming Host: allowed.lab.test (the
// transparent-filter case).
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(proxy_host_mismatch, "proxy.host_mismatch",
             "absolute-URI GET allowed.lab.test with Host: denied.lab.test, the reverse, and Host-routed variants",
             bottle::escape::probe::scoring::sink) {
    const auto px = support::proxy_under_test(rep);
    if (!px) return;
    const std::string allowed(lab::allowed_name), denied(lab::denied_name), denied_ip(lab::internet_v4);
    const std::string auth = px ? support::proxy_auth_header(*px) : std::string();
    auto origin_get = [&](const std::string& tag, const std::string& host) {
        return "GET /" + tag + " HTTP/1.1\r\nHost: " + host + "\r\nX-Bbx-Tag: " + tag + "\r\n" + auth +
               "Connection: close\r\n\r\n";
    };
    // A tag per path, which the control run expects outside; not the
    // origin-form request (hm3), which the lab's open proxy answers 400.
    const auto p1 = ctx.for_path("hm1"), p2 = ctx.for_path("hm2"), p3 = ctx.for_path("hm3"), p4 = ctx.for_path("hm4"),
               p5 = ctx.for_path("hm5");
    std::vector<std::function<support::hop_result()>> jobs;
    jobs.emplace_back([&] { return support::proxy_send(*px, support::absolute_get(p1, px, allowed, "/", denied)); });
    jobs.emplace_back([&] { return support::proxy_send(*px, support::absolute_get(p2, px, denied, "/", allowed)); });
    jobs.emplace_back([&] { return support::proxy_send(*px, origin_get(p3.tag, denied)); });
    jobs.emplace_back([&] { return support::proxy_connect(*px, allowed + ":80", origin_get(p4.tag, denied)); });
    jobs.emplace_back([&] { return support::direct(denied_ip, 80, origin_get(p5.tag, allowed), 1600, "denied address, Host " + allowed); });
    support::record_all(rep, jobs, 12, {}, {p1.tag, p2.tag, "", p4.tag, p5.tag});
}
