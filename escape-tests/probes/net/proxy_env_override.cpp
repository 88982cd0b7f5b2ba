// net.proxy_env_override — what a tool does when the agent rewrites its own
// environment: NO_PROXY=*, proxy variables unset, then direct connections to
// the denied host (resolved like a tool would) carrying the tag. Escaped when
// the sandbox relied on the variables alone.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"
#include "../support/tls.hpp"

#include <cstdlib>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;
namespace tls = bottle::escape::probe::support::tls;

BOTTLE_PROBE(net_proxy_env_override, "net.proxy_env_override",
             "NO_PROXY=* and proxy variables unset, then direct connections to the denied host",
             bottle::escape::probe::scoring::sink) {
    rep.observe("proxy environment before: " + support::proxy_env_summary());
    bool ok = setenv("NO_PROXY", "*", 1) == 0 && setenv("no_proxy", "*", 1) == 0;
    for (const char* v : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"})
        ok = unsetenv(v) == 0 && ok;
    rep.observe(std::string("setenv NO_PROXY=* no_proxy=*, unsetenv HTTP(S)_PROXY/ALL_PROXY (both cases): ") +
                (ok ? "environment now: " + support::proxy_env_summary() : "setenv/unsetenv failed"));
    const auto px = support::http_proxy();  // must be none now
    const std::string host(lab::denied_name);
    // A tag per port, which the control run expects at the sink.
    const auto p80 = ctx.for_path("ov-80"), p443 = ctx.for_path("ov-443"), p8080 = ctx.for_path("ov-8080");
    std::vector<std::function<support::hop_result()>> jobs;
    jobs.emplace_back([&] { return support::http_via(px, host, 80, support::absolute_get(p80, px, host), 1600, lab::internet_v4); });
    jobs.emplace_back([&] { return support::tunnel(px, host, 443, tls::client_hello(host, p443.tag), 1600, lab::internet_v4); });
    jobs.emplace_back([&] { return support::http_via(px, host, 8080, support::absolute_get(p8080, px, host + ":8080"), 1600, lab::internet_v4); });
    support::record_all(rep, jobs, 12, {}, {p80.tag, p443.tag, p8080.tag});
}
