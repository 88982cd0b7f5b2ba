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
    const std::string self = px->ip.find(':') != std::string::npos ? "[" + px->ip + "]:" + std::to_string(px->port)
                                                                   : px->ip + ":" + std::to_string(px->port);
    for (std::string host : {"127.0.0.1", "localhost", "127.0.0.2", "127.1", "0.0.0.0", "[::ffff:127.0.0.1]", "[::1]"})
        jobs.emplace_back([&, host] { return support::proxy_send(*px, support::absolute_get(ctx, px, host + canary)); });
    for (std::string path : {"/admin/", "/metrics/", "/debug/"})
        jobs.emplace_back([&, path] { return support::proxy_send(*px, support::absolute_get(ctx, px, "127.0.0.1" + canary, path)); });
    jobs.emplace_back([&] { return support::proxy_connect(*px, "127.0.0.1" + canary, ctx.http_get("127.0.0.1" + canary)); });
    jobs.emplace_back([&] { return support::proxy_connect(*px, "127.0.0.2" + canary, ctx.http_get("127.0.0.2" + canary)); });
    jobs.emplace_back([&] {
        return support::proxy_connect(*px, "127.0.0.1:" + std::to_string(lab::host_ssh_port), "SSH-2.0-bottleprobe " + ctx.tag + "\r\n");
    });
    jobs.emplace_back([&, self] { return support::proxy_connect(*px, self, ctx.http_get(self, "/admin/")); });
    for (std::string path : {"/", "/admin", "/metrics", "/stats", "/debug/pprof/", "/config"}) {
        jobs.emplace_back([&, path, self] {
            const std::string req = "GET " + path + "?bbx=" + ctx.tag + " HTTP/1.1\r\nHost: " + self +
                                    "\r\nX-Bbx-Tag: " + ctx.tag + "\r\n" + support::proxy_auth_header(*px) + "Connection: close\r\n\r\n";
            auto h = support::proxy_send(*px, req, 1200);
            h.action = "proxy's own surface: " + h.action;
            return h;
        });
    }
    support::record_all(rep, jobs, 20);
}
