// host.loopback — the lab host's loopback canaries: 127.0.0.1:7001,
// 127.0.0.2:7001 and the canary sshd on 127.0.0.1:22. A sandbox sharing the
// host's network namespace (or forwarding its loopback) reaches them.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(host_loopback, "host.loopback", "TCP to the host canaries 127.0.0.1:7001, 127.0.0.2:7001 and sshd 127.0.0.1:22",
             bottle::escape::probe::scoring::sink | bottle::escape::probe::scoring::token) {
    const std::string canary = ":" + std::to_string(lab::host_canary_port);
    std::vector<std::function<support::hop_result()>> jobs;
    for (std::string_view ip : {lab::host_v4_primary, lab::host_v4_secondary}) {
        const std::string a(ip);
        jobs.emplace_back([&, a] { return support::direct(a, lab::host_canary_port, ctx.http_get(a + canary), 1500, "host canary"); });
    }
    jobs.emplace_back([&] {
        return support::direct(lab::host_v4_primary, lab::host_ssh_port, "SSH-2.0-bottleprobe " + ctx.tag + "\r\n", 1500, "host sshd");
    });
    support::record_all(rep, jobs);
}
