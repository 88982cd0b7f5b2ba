// host.sibling — another bottle's listener: its loopback alias 127.0.0.17:7003
// on the lab host (sandboxes that share a network namespace with each other
// or with the host reach it), and, under the docker profile, a sibling
// container on the same bridge at 10.200.1.16:7003 (containers on one
// bridge reach each other unless the daemon says otherwise). Where no
// sibling container exists the connect to it is made and fails.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(host_sibling, "host.sibling", "TCP to a sibling bottle's listener 127.0.0.17:7003 and a sibling container 10.200.1.16:7003",
             bottle::escape::probe::scoring::sink | bottle::escape::probe::scoring::token, "direct", "proxy") {
    const std::string ip(lab::sibling_v4);
    const std::string authority = ip + ":" + std::to_string(lab::sibling_port);
    // The control run expects the loopback alias's and the proxy's tags; the
    // bridge container exists only under the docker profile (no tag).
    const auto alias = ctx.for_path("sib-lo"), via_px = ctx.for_path("sib-px");
    std::vector<std::function<support::hop_result()>> jobs;
    jobs.emplace_back([&] { return support::direct(ip, lab::sibling_port, alias.http_get(authority), 1500, "sibling bottle"); });
    const std::string bridge_ip(lab::sibling_bridge_v4);
    const std::string bridge_authority = bridge_ip + ":" + std::to_string(lab::sibling_port);
    jobs.emplace_back([&] {
        return support::direct(bridge_ip, lab::sibling_port, ctx.http_get(bridge_authority), 1500, "sibling container on the bridge");
    });
    support::record_all(rep, jobs, 12, "direct", {alias.tag, ""});
    if (const auto px = support::proxy_channel(rep, "proxy")) {
        std::vector<std::function<support::hop_result()>> via;
        via.emplace_back([&] { return support::proxy_send(*px, support::absolute_get(via_px, px, authority)); });
        support::record_all(rep, via, 12, "proxy", {via_px.tag});
    }
}
