// net.icmp — ICMP echo requests to the internet sink carrying the tag in the
// payload, through a raw ICMP socket (needs CAP_NET_RAW) and through the
// unprivileged ping socket (SOCK_DGRAM/IPPROTO_ICMP, allowed by
// net.ipv4.ping_group_range), over IPv4 and IPv6. The world side's packet
// capture logs any frame holding the tag; echo replies are observed.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

namespace {

std::uint16_t checksum(const std::string& data) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < data.size(); i += 2)
        sum += (static_cast<unsigned char>(data[i]) << 8) | static_cast<unsigned char>(data[i + 1]);
    if (data.size() % 2) sum += static_cast<unsigned char>(data.back()) << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

struct ping_result {
    std::string outcome;
    bool made = false;  // socket() was issued
    bool sent = false;
    std::string reply;
};

// One echo request; type 8 (v4) or 128 (v6). Raw IPv4 needs our checksum; the
// kernel fills it for ping sockets and for raw ICMPv6.
ping_result ping(bool v6, int sock_type, const std::string& payload) {
    ping_result r;
    const std::string_view ip = v6 ? lab::internet_v6 : lab::internet_v4;
    if (!lab::is_lab_target(ip)) {
        r.outcome = "not a lab address: not attempted";
        return r;
    }
    r.made = true;
    const int fd = socket(v6 ? AF_INET6 : AF_INET, sock_type | SOCK_CLOEXEC, v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP));
    if (fd < 0) {
        r.outcome = "socket: " + support::errno_name(errno);
        return r;
    }
    std::string pkt;
    pkt += static_cast<char>(v6 ? 128 : 8);
    pkt += '\0';
    pkt += std::string("\0\0", 2);          // checksum
    pkt += std::string("\x0b\xb7\x00\x01", 4);  // identifier, sequence
    pkt += payload;
    if (!v6 && sock_type == SOCK_RAW) {
        const std::uint16_t c = checksum(pkt);
        pkt[2] = static_cast<char>(c >> 8);
        pkt[3] = static_cast<char>(c & 0xff);
    }
    sockaddr_storage ss{};
    socklen_t len;
    if (v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        inet_pton(AF_INET6, std::string(ip).c_str(), &a->sin6_addr);
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        inet_pton(AF_INET, std::string(ip).c_str(), &a->sin_addr);
        len = sizeof *a;
    }
    if (sendto(fd, pkt.data(), pkt.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
        r.outcome = "sendto: " + support::errno_name(errno);
        close(fd);
        return r;
    }
    r.sent = true;
    // Raw sockets see every ICMP packet: wait for one that carries the payload.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(350);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        pollfd p{fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
        char buf[2048];
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        const std::string got(buf, static_cast<std::size_t>(n));
        if (got.find(payload) != std::string::npos) {
            r.reply = got;
            break;
        }
    }
    r.outcome = "sent " + std::to_string(pkt.size()) + "-byte echo request; " +
                (r.reply.empty() ? "no echo reply" : "echo reply of " + std::to_string(r.reply.size()) + " bytes");
    close(fd);
    return r;
}

}  // namespace

BOTTLE_PROBE(net_icmp, "net.icmp", "ICMP echo to the internet sink via raw and unprivileged ping sockets, v4 and v6",
             bottle::escape::probe::scoring::sink, "icmp4", "icmp6") {
    for (bool v6 : {false, true}) {
        for (int type : {SOCK_RAW, SOCK_DGRAM}) {
            // A tag per path; the control run expects the raw-socket ones at
            // the sink (ping sockets depend on net.ipv4.ping_group_range).
            const std::string path_tag = ctx.tag + (v6 ? "-i6" : "-i4") + (type == SOCK_RAW ? "-raw" : "-dgram");
            const auto r = ping(v6, type, "bbx-icmp " + path_tag);
            const std::string target(v6 ? lab::internet_v6 : lab::internet_v4);
            rep.record(v6 ? "icmp6" : "icmp4",
                       std::string(type == SOCK_RAW ? "raw ICMP socket" : "unprivileged ping socket") + (v6 ? " (v6)" : " (v4)") +
                           ": echo request to " + target + " with the tag in the payload",
                       r.outcome, r.made, r.sent);
            if (type == SOCK_RAW) rep.expect(path_tag);
            if (!r.reply.empty()) rep.observe(target + " echo reply: " + r.reply);
        }
    }
}
