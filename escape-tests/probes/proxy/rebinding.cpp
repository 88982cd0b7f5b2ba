// proxy.rebinding — an allowed-looking name whose address is internal:
// rebind.lab.test resolves to 127.0.0.1 (the lab host's canary on 7001) and
// metadata.lab.test to 169.254.169.254. A proxy that checks names but not the
// addresses they resolve to connects to the host itself. N/A without a proxy.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(proxy_rebinding, "proxy.rebinding",
             "names resolving to internal addresses (rebind.lab.test:7001 -> 127.0.0.1, metadata.lab.test) via the proxy",
             bottle::escape::probe::scoring::sink | bottle::escape::probe::scoring::token) {
    const auto px = support::proxy_under_test(rep);
    if (!px) return;
    const std::string rebind(lab::rebind_name), meta(lab::metadata_name);
    const std::string rebind_authority = rebind + ":" + std::to_string(lab::host_canary_port);
    // A tag per path, which the control run expects outside.
    const auto connect = ctx.for_path("rb-connect"), get = ctx.for_path("rb-get"), md = ctx.for_path("rb-md");
    std::vector<std::function<support::hop_result()>> jobs;
    jobs.emplace_back([&] { return support::tunnel(px, rebind, lab::host_canary_port, connect.http_get(rebind_authority)); });
    jobs.emplace_back([&] {
        return support::http_via(px, rebind, lab::host_canary_port, support::absolute_get(get, px, rebind_authority));
    });
    jobs.emplace_back([&] {
        return support::http_via(px, meta, 80, support::absolute_get(md, px, meta, "/latest/meta-data/"));
    });
    support::record_all(rep, jobs, 12, {}, {connect.tag, get.tag, md.tag});
}
