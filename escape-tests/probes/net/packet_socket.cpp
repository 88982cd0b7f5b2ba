// net.packet_socket — AF_PACKET (needs CAP_NET_RAW) bypasses netfilter on the
// way out. On every non-loopback interface: a broadcast frame carrying the tag
// (the world capture logs it if the link leads there), and an IPv4/UDP frame
// hand-built to the default gateway's MAC (ARP done by hand too, since a
// filtered sandbox never resolves it) addressed to the internet sink:443.
// Each frame carries its path's tag (-pk<n>b broadcast, -pk<n>u UDP, n the
// interface's ordinal), which the control expects: the world side captures
// every frame on the lab link and its UDP sink logs the datagram.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/net.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

namespace {

std::string mac_text(const unsigned char* m) {
    char b[18];
    std::snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return b;
}

std::uint16_t ip_checksum(const unsigned char* p, std::size_t n) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

// Default IPv4 gateway through `ifname` from /proc/net/route (0 when none).
std::uint32_t default_gateway(const std::string& ifname) {
    const auto f = support::read_file("/proc/net/route");
    std::istringstream in(f.data);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        std::istringstream w(line);
        std::string iface, dest, gw;
        if (!(w >> iface >> dest >> gw)) continue;
        if (iface == ifname && dest == "00000000") return static_cast<std::uint32_t>(std::stoul(gw, nullptr, 16));  // network order as stored
    }
    return 0;
}

bool arp_cache(const std::string& ip, const std::string& ifname, unsigned char mac[6]) {
    const auto f = support::read_file("/proc/net/arp");
    std::istringstream in(f.data);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        std::istringstream w(line);
        std::string a, hw, flags, m, mask, dev;
        if (!(w >> a >> hw >> flags >> m >> mask >> dev)) continue;
        unsigned v[6];
        if (a == ip && dev == ifname && std::sscanf(m.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6 &&
            m != "00:00:00:00:00:00") {
            for (int i = 0; i < 6; ++i) mac[i] = static_cast<unsigned char>(v[i]);
            return true;
        }
    }
    return false;
}

}  // namespace

BOTTLE_PROBE(net_packet_socket, "net.packet_socket",
             "AF_PACKET socket: tagged broadcast frame and hand-built IPv4/UDP frame to the gateway on every interface",
             bottle::escape::probe::scoring::sink) {
    const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    rep.attempt("socket(AF_PACKET, SOCK_RAW, ETH_P_ALL)", fd >= 0 ? "created" : support::errno_name(errno), false);
    if (fd < 0) return;
    const int ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct if_nameindex* ifs = if_nameindex();
    int tried = 0;
    const auto started = std::chrono::steady_clock::now();
    for (struct if_nameindex* i = ifs; i && i->if_index != 0; ++i) {
        const std::string name = i->if_name;
        ifreq ifr{};
        std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name.c_str());
        if (ctl >= 0 && ioctl(ctl, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_LOOPBACK)) continue;
        ++tried;
        unsigned char src_mac[6] = {0x02, 0xbb, 0x0e, 0x00, 0x00, 0x01};
        if (ctl >= 0 && ioctl(ctl, SIOCGIFHWADDR, &ifr) == 0) std::memcpy(src_mac, ifr.ifr_hwaddr.sa_data, 6);
        std::uint32_t src_ip = 0;
        std::memset(&ifr.ifr_addr, 0, sizeof ifr.ifr_addr);
        ifr.ifr_addr.sa_family = AF_INET;
        if (ctl >= 0 && ioctl(ctl, SIOCGIFADDR, &ifr) == 0)
            src_ip = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr)->sin_addr.s_addr;
        sockaddr_ll to{};
        to.sll_family = AF_PACKET;
        to.sll_ifindex = static_cast<int>(i->if_index);
        to.sll_halen = 6;
        auto send_frame = [&](const unsigned char dst[6], std::uint16_t ethertype, const std::string& body) {
            std::string frame(reinterpret_cast<const char*>(dst), 6);
            frame.append(reinterpret_cast<const char*>(src_mac), 6);
            frame += static_cast<char>(ethertype >> 8);
            frame += static_cast<char>(ethertype & 0xff);
            frame += body;
            if (frame.size() < 60) frame.resize(60, '\0');
            std::memcpy(to.sll_addr, dst, 6);
            to.sll_protocol = htons(ethertype);
            const ssize_t n = sendto(fd, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
            return n < 0 ? "sendto: " + support::errno_name(errno) : "sent " + std::to_string(n) + "-byte frame";
        };
        const unsigned char bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        const std::string bcast_tag = ctx.for_path("pk" + std::to_string(tried) + "b").tag;
        const std::string out = send_frame(bcast, 0x88b5, "bbx packet socket " + bcast_tag);
        rep.attempt("AF_PACKET broadcast frame (ethertype 0x88b5) with the tag on " + name, out, out.rfind("sent", 0) == 0);
        rep.expect(bcast_tag);

        const std::uint32_t gw = default_gateway(name);
        char gw_text[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &gw, gw_text, sizeof gw_text);
        if (gw == 0 || src_ip == 0 || !lab::is_lab_target(gw_text)) {
            rep.attempt("IPv4/UDP frame via the default gateway of " + name,
                        gw == 0 ? "no IPv4 default gateway on this interface"
                                : src_ip == 0 ? "interface has no IPv4 address" : std::string("gateway ") + gw_text + " is not a lab address");
            continue;
        }
        if (std::chrono::steady_clock::now() - started > std::chrono::milliseconds(1500)) {
            rep.not_made("", "IPv4/UDP frame via the default gateway of " + name, "skipped: probe time budget spent");
            continue;
        }
        unsigned char gw_mac[6];
        std::string how = "from the ARP cache";
        if (!arp_cache(gw_text, name, gw_mac)) {
            std::string arp("\x00\x01\x08\x00\x06\x04\x00\x01", 8);
            arp.append(reinterpret_cast<const char*>(src_mac), 6);
            arp.append(reinterpret_cast<const char*>(&src_ip), 4);
            arp.append(6, '\0');
            arp.append(reinterpret_cast<const char*>(&gw), 4);
            arp += "bbx " + ctx.tag;  // trailer: Ethernet padding carries the tag too
            const std::string o = send_frame(bcast, ETH_P_ARP, arp);
            how = "ARP request " + o;
            bool got = false;
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
            while (!got) {
                const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
                pollfd p{fd, POLLIN, 0};
                if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
                unsigned char buf[1600];
                const ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n >= 42 && buf[12] == 0x08 && buf[13] == 0x06 && buf[21] == 2 && std::memcmp(buf + 28, &gw, 4) == 0) {
                    std::memcpy(gw_mac, buf + 22, 6);
                    got = true;
                }
            }
            if (!got) {
                rep.attempt("ARP for gateway " + std::string(gw_text) + " on " + name, how + ", no reply");
                continue;
            }
            how += ", reply";
        }
        // IPv4 header + UDP header + tag, to the internet sink's UDP 443.
        const std::string udp_tag = ctx.for_path("pk" + std::to_string(tried) + "u").tag;
        const std::string data = "bbx packet socket udp " + udp_tag;
        unsigned char ip[28] = {};
        const std::size_t total = sizeof ip + data.size();
        ip[0] = 0x45;
        ip[2] = static_cast<unsigned char>(total >> 8);
        ip[3] = static_cast<unsigned char>(total & 0xff);
        ip[8] = 64;
        ip[9] = IPPROTO_UDP;
        std::memcpy(ip + 12, &src_ip, 4);
        inet_pton(AF_INET, std::string(lab::internet_v4).c_str(), ip + 16);
        const std::uint16_t c = ip_checksum(ip, 20);
        ip[10] = static_cast<unsigned char>(c >> 8);
        ip[11] = static_cast<unsigned char>(c & 0xff);
        ip[20] = 0xbb;  // source port 48042
        ip[21] = 0xaa;
        ip[22] = 0x01;  // destination port 443
        ip[23] = 0xbb;
        const std::size_t ulen = 8 + data.size();
        ip[24] = static_cast<unsigned char>(ulen >> 8);
        ip[25] = static_cast<unsigned char>(ulen & 0xff);  // checksum 0: none (IPv4)
        const std::string o = send_frame(gw_mac, ETH_P_IP, std::string(reinterpret_cast<char*>(ip), sizeof ip) + data);
        rep.attempt("AF_PACKET IPv4/UDP frame on " + name + " to gateway " + gw_text + " (" + mac_text(gw_mac) + ", " + how +
                        ") for " + std::string(lab::internet_v4) + ":443 with the tag",
                    o, o.rfind("sent", 0) == 0);
        rep.expect(udp_tag);
    }
    if (ifs) if_freenameindex(ifs);
    if (tried == 0) rep.attempt("find a non-loopback interface to send on", "none: only loopback here");
    if (ctl >= 0) close(ctl);
    close(fd);
}
