// host.gateway_scan — the machine the sandbox's traffic leaves through: the
// default gateways (/proc/net/route, /proc/net/ipv6_route), ARP neighbours,
// the sandbox's own interface addresses, and the lab link addresses; port
// 7002 on each that is a lab address (the lab host listens there on every
// address, so a container's bridge gateway reaches it). The discovered
// addresses are observed (seeing the lab link address means the host's
// network view). Each target has its own path tag (-gw<n>). The control
// (none: the sandbox is the lab host) expects only the lab host's IPv4 end of
// the lab link, where host.any listens (0.0.0.0:7002): the gateway beyond it
// is the world side, where nothing listens on 7002 (a bridge gateway exists
// only under a container runtime), host.any has no IPv6 socket, and a
// link-local address needs a listener bound to its interface.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/proxy.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

namespace {

void add(std::vector<std::string>& out, std::string ip) {
    if (!ip.empty() && std::find(out.begin(), out.end(), ip) == out.end()) out.push_back(std::move(ip));
}

}  // namespace

BOTTLE_PROBE(host_gateway_scan, "host.gateway_scan",
             "TCP 7002 on default gateways, ARP neighbours, own addresses and the lab link (lab addresses only)",
             bottle::escape::probe::scoring::sink | bottle::escape::probe::scoring::token) {
    std::vector<std::string> found;  // discovered inside the sandbox (observed)
    std::string facts;
    {
        const auto f = support::read_file("/proc/net/route");
        rep.observe("read /proc/net/route: " + support::describe(f));
        std::istringstream in(f.data);
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line)) {
            std::istringstream w(line);
            std::string iface, dest, gw;
            if (!(w >> iface >> dest >> gw) || gw == "00000000") continue;
            const auto g = static_cast<std::uint32_t>(std::stoul(gw, nullptr, 16));
            char t[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &g, t, sizeof t);
            facts += "v4 gateway " + std::string(t) + " dev " + iface + "\n";
            add(found, t);
        }
    }
    {
        const auto f = support::read_file("/proc/net/ipv6_route");
        rep.observe("read /proc/net/ipv6_route: " + support::describe(f));
        std::istringstream in(f.data);
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream w(line);
            std::string dst, dlen, src, slen, next, metric, ref, use, flags, dev;
            if (!(w >> dst >> dlen >> src >> slen >> next >> metric >> ref >> use >> flags >> dev)) continue;
            if (next.size() != 32 || next == std::string(32, '0')) continue;
            unsigned char b[16];
            for (int i = 0; i < 16; ++i) b[i] = static_cast<unsigned char>(std::stoul(next.substr(static_cast<std::size_t>(i) * 2, 2), nullptr, 16));
            char t[INET6_ADDRSTRLEN];
            inet_ntop(AF_INET6, b, t, sizeof t);
            std::string ip = t;
            facts += "v6 gateway " + ip + " dev " + dev + "\n";
            if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ip += "%" + dev;  // link-local needs its interface
            add(found, ip);
        }
    }
    {
        const auto f = support::read_file("/proc/net/arp");
        std::istringstream in(f.data);
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line)) {
            std::istringstream w(line);
            std::string ip;
            if (w >> ip) {
                facts += "arp neighbour " + ip + "\n";
                add(found, ip);
            }
        }
    }
    ifaddrs* ifa = nullptr;
    if (getifaddrs(&ifa) == 0) {
        for (auto* i = ifa; i; i = i->ifa_next) {
            if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK)) continue;
            char t[INET6_ADDRSTRLEN] = {};
            if (i->ifa_addr->sa_family == AF_INET)
                inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, t, sizeof t);
            else if (i->ifa_addr->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, t, sizeof t);
            else
                continue;
            std::string ip = t;
            facts += "own address " + ip + " dev " + i->ifa_name + "\n";
            rep.fact("own_address", ip);
            if (ip.rfind("fe80", 0) == 0) ip += "%" + std::string(i->ifa_name);
            add(found, ip);
        }
        freeifaddrs(ifa);
    }
    if (!facts.empty()) rep.observe("network view:\n" + facts);
    std::vector<std::string> targets = found;
    for (std::string_view ip : {lab::link_lab_v4, lab::link_world_v4, lab::link_lab_v6, lab::link_world_v6}) add(targets, std::string(ip));
    std::vector<std::function<support::hop_result()>> jobs;
    std::vector<std::string> expects;
    for (const auto& ip : targets) {
        const std::string bare = ip.substr(0, ip.find('%'));
        if (!lab::is_lab_target(bare)) {
            rep.not_made("", "tcp connect " + ip + ":" + std::to_string(lab::host_any_port), "not a lab address: skipped");
            continue;
        }
        const bool discovered = std::find(found.begin(), found.end(), ip) != found.end();
        const auto path = ctx.for_path("gw" + std::to_string(jobs.size() + 1));
        expects.push_back(bare == lab::link_lab_v4 ? path.tag : std::string());
        jobs.emplace_back([path, ip, bare, discovered] {
            const bool v6 = bare.find(':') != std::string::npos;
            const std::string host = v6 ? "[" + bare + "]" : bare;
            return support::direct(ip, lab::host_any_port, path.http_get(host + ":" + std::to_string(lab::host_any_port)), 1500,
                                   discovered ? "discovered" : "lab plan link address");
        });
    }
    support::record_all(rep, jobs, 16, {}, expects);
}
