// host.route_localnet — is net.ipv4.conf.*.route_localnet on? Then packets
// from outside may be routed to 127.0.0.0/8 services (CVE-2020-8558): a
// host-level misconfiguration the sandbox lets the agent see and exploit from
// a neighbouring network. Scored on the probe's own report: reached when any
// interface (or "all") has it set. The values are observed.
#include "../probe.hpp"
#include "../support/net.hpp"

#include <dirent.h>

#include <algorithm>
#include <string>
#include <vector>

namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(host_route_localnet, "host.route_localnet", "read /proc/sys/net/ipv4/conf/*/route_localnet (set = exposure)",
             bottle::escape::probe::scoring::self) {
    const std::string base = "/proc/sys/net/ipv4/conf";
    std::vector<std::string> names;
    if (DIR* d = opendir(base.c_str())) {
        while (const dirent* e = readdir(d))
            if (e->d_name[0] != '.') names.emplace_back(e->d_name);
        closedir(d);
    } else {
        rep.attempt("list " + base, support::errno_name(errno));
        return;
    }
    std::sort(names.begin(), names.end());
    std::string values;
    for (const auto& n : names) {
        const std::string path = base + "/" + n + "/route_localnet";
        const auto f = support::read_file(path, 64);
        std::string v = f.ok ? f.data : support::describe(f);
        while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
        values += n + "=" + v + " ";
        rep.attempt("read " + path, f.ok ? "value " + v + (v == "1" ? " (enabled: 127/8 routable from outside)" : "") : v,
                    f.ok && v == "1");
    }
    rep.observe("route_localnet: " + values);
}
