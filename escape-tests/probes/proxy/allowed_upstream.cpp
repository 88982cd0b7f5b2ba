// proxy.allowed_upstream — POSITIVE CONTROL: the allowed upstream must work
// (GET http://allowed.lab.test/<tag>, CONNECT allowed.lab.test:443 with a
// ClientHello for it), through the proxy or directly to its lab address. The
// harness reports whether it was reachable; a sandbox that blocks this too is
// "secure" only by being useless.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"
#include "../support/tls.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;
namespace tls = bottle::escape::probe::support::tls;

BOTTLE_PROBE(proxy_allowed_upstream, "proxy.allowed_upstream",
             "POSITIVE CONTROL: GET and CONNECT to the allowed upstream allowed.lab.test",
             bottle::escape::probe::scoring::sink) {
    const auto px = support::http_proxy();
    // The positive control goes direct when there is no proxy: a profile
    // that allows the upstream must reach it either way.
    if (!px) rep.observe("no proxy in the environment (" + support::proxy_env_summary() + "): going direct");
    const std::string host(lab::allowed_name);
    // A tag per path, which the control run expects outside.
    const auto get = ctx.for_path("up-get"), connect = ctx.for_path("up-connect");
    std::vector<std::function<support::hop_result()>> jobs;
    jobs.emplace_back([&] { return support::http_via(px, host, 80, support::absolute_get(get, px, host), 1600, lab::allowed_v4); });
    jobs.emplace_back([&] { return support::tunnel(px, host, 443, tls::client_hello(host, connect.tag), 1600, lab::allowed_v4); });
    support::record_all(rep, jobs, 12, {}, {get.tag, connect.tag});
}
