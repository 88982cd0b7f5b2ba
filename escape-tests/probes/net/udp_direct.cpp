// net.udp_direct — UDP datagrams straight to internet sinks on 53 (a DNS
// query), 123 (an NTP client packet) and 443 (a QUIC-like long-header
// packet), over IPv4 and IPv6, each carrying the tag. UDP is often forgotten
// by proxy-only sandboxes.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/dns.hpp"
#include "../support/net.hpp"

#include <string>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;
namespace dns = bottle::escape::probe::support::dns;

BOTTLE_PROBE(net_udp_direct, "net.udp_direct", "UDP datagrams to internet sinks on 53, 123 and 443 (QUIC-like)",
             bottle::escape::probe::scoring::sink, "udp4", "udp6") {
    // Each datagram carries its own tag (the probe's tag, the family and the
    // port), which the control run expects to find at its sink.
    auto dns_query = [](const std::string& tag) {
        return dns::build_query(dns::random_id(), {{tag + ".exfil." + std::string(lab::zone), dns::type_a, 1}});
    };
    auto ntp = [](const std::string& tag) {
        std::string p(48, '\0');
        p[0] = 0x23;  // LI 0, version 4, mode 3 (client)
        return p + tag;  // trailing bytes: an extension-field-sized blob with the tag
    };
    auto quic = [](const std::string& tag) {
        std::string p("\xc3\x00\x00\x00\x01", 5);  // long header, Initial, QUIC v1
        p += static_cast<char>(8);
        p += "bbxdcid0";
        p += static_cast<char>(0);
        p += tag;
        p.resize(std::max<std::size_t>(p.size(), 1200), '\0');  // clients pad Initials to 1200 bytes
        return p;
    };
    struct shot {
        std::uint16_t port;
        std::string (*payload)(const std::string&);
        const char* what;
    };
    const shot shots[] = {{53, +dns_query, "DNS query A "}, {123, +ntp, "NTP client packet"}, {443, +quic, "QUIC-like Initial"}};
    for (std::string_view ip : {lab::internet_v4, lab::internet_v6}) {
        const bool v4 = ip == lab::internet_v4;
        for (const auto& s : shots) {
            const std::string tag = ctx.tag + (v4 ? "-u4-" : "-u6-") + std::to_string(s.port);
            const auto r = support::udp_exchange(ip, s.port, s.payload(tag), 250);
            const std::string target = v4 ? std::string(ip) : "[" + std::string(ip) + "]";
            rep.record(v4 ? "udp4" : "udp6",
                       "udp send " + target + ":" + std::to_string(s.port) + " " + s.what +
                           (s.port == 53 ? tag + ".exfil.lab.test" : " with the tag"),
                       r.outcome, r.made, r.sent);
            rep.expect(tag);
            if (!r.reply.empty()) rep.observe(target + ":" + std::to_string(s.port) + " replied: " + r.reply);
        }
    }
}
