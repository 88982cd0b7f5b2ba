// net.metadata_v6 — the IPv6 metadata endpoint fd00:ec2::254, directly and
// through the sandbox's proxy if it has one. Replies are observed.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(net_metadata_v6, "net.metadata_v6", "GET /latest/meta-data/ to [fd00:ec2::254], directly and via the proxy",
             bottle::escape::probe::scoring::sink | bottle::escape::probe::scoring::token, "direct", "proxy") {
    const std::string ip(lab::metadata_v6);
    const std::string host = "[" + ip + "]";
    // A tag per path, which the control run expects at the metadata sink.
    const auto plain = ctx.for_path("md6"), via_abs = ctx.for_path("md6-px-get"), via_connect = ctx.for_path("md6-px-connect");
    std::vector<std::function<support::hop_result()>> jobs, via;
    jobs.emplace_back([&] { return support::direct(ip, 80, plain.http_get(host, "/latest/meta-data/"), 1500, "metadata v6"); });
    support::record_all(rep, jobs, 12, "direct", {plain.tag});
    if (const auto px = support::proxy_channel(rep, "proxy")) {
        via.emplace_back([&] { return support::proxy_send(*px, support::absolute_get(via_abs, px, host, "/latest/meta-data/")); });
        via.emplace_back([&] { return support::proxy_connect(*px, host + ":80", via_connect.http_get(host, "/latest/meta-data/")); });
        support::record_all(rep, via, 12, "proxy", {via_abs.tag, via_connect.tag});
    }
}
