// net.lan_host — reach a host on the lab "LAN" (a private range the sandbox
// should never see), on web, ssh and alternate ports, directly.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(net_lan_host, "net.lan_host", "TCP to the lab LAN host 192.168.77.10 (80, 8080, 443, 22) carrying the tag",
             bottle::escape::probe::scoring::sink) {
    const std::string ip(lab::lan_v4);
    // A tag per port, which the control run expects at the LAN host.
    std::vector<std::function<support::hop_result()>> jobs;
    std::vector<std::string> expects;
    for (std::uint16_t port : {80, 8080, 443}) {
        const auto path = ctx.for_path("lan-" + std::to_string(port));
        expects.push_back(path.tag);
        jobs.emplace_back([&ip, port, path] { return support::direct(ip, port, path.http_get(ip), 1500, "lab LAN host"); });
    }
    const std::string ssh_tag = ctx.tag + "-lan-22";
    expects.push_back(ssh_tag);
    jobs.emplace_back([&ip, ssh_tag] { return support::direct(ip, 22, "SSH-2.0-bottleprobe " + ssh_tag + "\r\n", 1500, "lab LAN host ssh"); });
    support::record_all(rep, jobs, 12, {}, expects);
}
