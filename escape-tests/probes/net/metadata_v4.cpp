// net.metadata_v4 — the cloud metadata endpoint 169.254.169.254 (IMDSv1 GET,
// IMDSv2 token PUT), directly and through the sandbox's proxy if it has one
// (by address and by a name that resolves to it). Replies are observed.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(net_metadata_v4, "net.metadata_v4",
             "GET /latest/meta-data/ and IMDSv2 token PUT to 169.254.169.254, directly and via the proxy",
             bottle::escape::probe::scoring::sink | bottle::escape::probe::scoring::token, "direct", "proxy") {
    const std::string ip(lab::metadata_v4);
    // A tag per path (ctx.for_path), which the control run expects at the
    // metadata sink.
    const auto imds1 = ctx.for_path("md-get"), imds2 = ctx.for_path("md-put"), gcp = ctx.for_path("md-gcp");
    const auto via_ip = ctx.for_path("md-px-ip"), via_name = ctx.for_path("md-px-name"), via_connect = ctx.for_path("md-px-connect");
    const std::string put = "PUT /latest/api/token?bbx=" + imds2.tag +
                            " HTTP/1.1\r\nHost: 169.254.169.254\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\nX-Bbx-Tag: " +
                            imds2.tag + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    std::vector<std::function<support::hop_result()>> jobs, via;
    jobs.emplace_back([&] { return support::direct(ip, 80, imds1.http_get(ip, "/latest/meta-data/"), 1500, "metadata"); });
    jobs.emplace_back([&] { return support::direct(ip, 80, put, 1500, "metadata IMDSv2 token"); });
    jobs.emplace_back([&] {
        return support::direct(ip, 80, gcp.http_get("metadata.google.internal", "/computeMetadata/v1/"), 1500, "metadata (GCP path)");
    });
    support::record_all(rep, jobs, 12, "direct", {imds1.tag, imds2.tag, gcp.tag});
    if (const auto px = support::proxy_channel(rep, "proxy")) {
        via.emplace_back([&] { return support::proxy_send(*px, support::absolute_get(via_ip, px, ip, "/latest/meta-data/")); });
        via.emplace_back([&] {
            return support::proxy_send(*px, support::absolute_get(via_name, px, lab::metadata_name, "/latest/meta-data/"));
        });
        via.emplace_back([&] { return support::proxy_connect(*px, ip + ":80", via_connect.http_get(ip, "/latest/meta-data/")); });
        support::record_all(rep, via, 12, "proxy", {via_ip.tag, via_name.tag, via_connect.tag});
    }
}
