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
    // A tag per target, which the control run expects at each canary.
    std::vector<std::function<support::hop_result()>> jobs;
    std::vector<std::string> expects;
    for (std::string_view ip : {lab::host_v4_primary, lab::host_v4_secondary}) {
        const std::string a(ip);
        const auto path = ctx.for_path(ip == lab::host_v4_primary ? "lo1" : "lo2");
        expects.push_back(path.tag);
        jobs.emplace_back([&canary, a, path] {
            return support::direct(a, lab::host_canary_port, path.http_get(a + canary), 1500, "host canary");
        });
    }
    const std::string ssh_tag = ctx.tag + "-lo-ssh";
    expects.push_back(ssh_tag);
    jobs.emplace_back([ssh_tag] {
        return support::direct(lab::host_v4_primary, lab::host_ssh_port, "SSH-2.0-bottleprobe " + ssh_tag + "\r\n", 1500,
                               "host sshd");
    });
    support::record_all(rep, jobs, 12, {}, expects);
}
