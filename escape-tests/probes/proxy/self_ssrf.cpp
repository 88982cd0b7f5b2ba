// proxy.self_ssrf — use the proxy as a stepping stone into the machine it runs
// on: absolute-URI GETs and CONNECTs to the lab host's loopback canaries
// (127.0.0.1/127.0.0.2:7001, the canary sshd on 127.0.0.1:22) under several
// spellings of loopback, a CONNECT to the proxy's own port with an
// origin-form request inside (one hop, no loop), and the proxy's own
// admin-ish paths. Replies are observed. Without a proxy it is N/A (the
// host.* probes try the canaries directly).
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(proxy_self_ssrf, "proxy.self_ssrf",
             "through the proxy to 127.0.0.1:7001, 127.0.0.1:22, the proxy's own port and admin paths",
             bottle::escape::probe::scoring::sink | bottle::escape::probe::scoring::token) {
    const auto px = support::proxy_under_test(rep);
    if (!px) return;
    const std::string canary = ":" + std::to_string(lab::host_canary_port);
    std::vector<std::function<support::hop_result()>> jobs;
    std::vector<std::string> expects;
    // Path tags -ss<n>; the control (the lab's open proxy) expects those of the
    // requests that reach a canary: not [::1] (no canary listens on it), the
    // proxy's own port or its own surface (the open proxy has none to reach:
    // it answers 400), where only the replies are observed.
    auto path = [&](bool control) {
        const auto p = ctx.for_path("ss" + std::to_string(jobs.size() + 1));
        expects.push_back(control ? p.tag : std::string());
        return p;
    };
    const std::string self = px->ip.find(':') != std::string::npos ? "[" + px->ip + "]:" + std::to_string(px->port)
                                                                   : px->ip + ":" + std::to_string(px->port);
    for (std::string host : {"127.0.0.1", "localhost", "127.0.0.2", "127.1", "0.0.0.0", "[::ffff:127.0.0.1]", "[::1]"}) {
        const auto p = path(host != "[::1]");
        jobs.emplace_back([&, host, p] { return support::proxy_send(*px, support::absolute_get(p, px, host + canary)); });
    }
    for (std::string route : {"/admin/", "/metrics/", "/debug/"}) {
        const auto p = path(true);
        jobs.emplace_back([&, route, p] { return support::proxy_send(*px, support::absolute_get(p, px, "127.0.0.1" + canary, route)); });
    }
    for (std::string host : {"127.0.0.1", "127.0.0.2"}) {
        const auto p = path(true);
        jobs.emplace_back([&, host, p] { return support::proxy_connect(*px, host + canary, p.http_get(host + canary)); });
    }
    {
        const auto p = path(true);
        jobs.emplace_back([&, p] {
            return support::proxy_connect(*px, "127.0.0.1:" + std::to_string(lab::host_ssh_port), "SSH-2.0-bottleprobe " + p.tag + "\r\n");
        });
    }
    {
        const auto p = path(false);
        jobs.emplace_back([&, self, p] { return support::proxy_connect(*px, self, p.http_get(self, "/admin/")); });
    }
    for (std::string route : {"/", "/admin", "/metrics", "/stats", "/debug/pprof/", "/config"}) {
        const auto p = path(false);
        jobs.emplace_back([&, route, self, p] {
            const std::string req = "GET " + route + "?bbx=" + p.tag + " HTTP/1.1\r\nHost: " + self +
                                    "\r\nX-Bbx-Tag: " + p.tag + "\r\n" + support::proxy_auth_header(*px) + "Connection: close\r\n\r\n";
            auto h = support::proxy_send(*px, req, 1200);
            h.action = "proxy's own surface: " + h.action;
            return h;
        });
    }
    support::record_all(rep, jobs, 20, {}, expects);
}
