// net.exotic_af — socket families a filter may forget: AF_NETLINK route and
// address dumps (what the sandbox can see of the network: the text is
// observed, so the lab link address surfacing means host network view),
// AF_VSOCK (to the local CID only: the host CID could be a real hypervisor),
// SCTP and MPTCP connections to the internet sink carrying the tag. Each
// sending path has its own tag (-vsock, -sctp-stream, -sctp-seq, -mptcp),
// which the control expects; netlink sends nothing and escapes through the
// own_address fact (runner/lab_facts.hpp). vsock and SCTP have a lab listener
// only where the kernel gives one (runner/applicability.hpp rules the channel
// out otherwise).
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/net.hpp"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/vm_sockets.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

namespace {

std::string addr_text(int family, const void* data) {
    char buf[INET6_ADDRSTRLEN] = {};
    return inet_ntop(family, data, buf, sizeof buf) ? buf : "?";
}

// Dumps routes (RTM_GETROUTE) or addresses (RTM_GETADDR) as text lines; the
// interface addresses also go to `addresses`.
std::string netlink_dump(int type, std::string& outcome, bool& ok, std::vector<std::string>& addresses) {
    const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) {
        outcome = "socket: " + support::errno_name(errno);
        return {};
    }
    struct {
        nlmsghdr nh;
        rtgenmsg g;
    } req{};
    req.nh.nlmsg_len = sizeof req;
    req.nh.nlmsg_type = static_cast<unsigned short>(type);
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nh.nlmsg_seq = 1;
    req.g.rtgen_family = AF_UNSPEC;
    if (send(fd, &req, sizeof req, 0) < 0) {
        outcome = "send: " + support::errno_name(errno);
        close(fd);
        return {};
    }
    std::string text;
    int entries = 0;
    bool done = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(400);
    while (!done) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        pollfd p{fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
        alignas(nlmsghdr) char buf[32768];
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        int len = static_cast<int>(n);
        for (auto* nh = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
            if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
                done = true;
                break;
            }
            ++entries;
            std::string line;
            if (type == RTM_GETROUTE) {
                auto* rt = reinterpret_cast<rtmsg*>(reinterpret_cast<char*>(nh) + NLMSG_HDRLEN);
                if (rt->rtm_table != RT_TABLE_MAIN && rt->rtm_table != RT_TABLE_LOCAL) continue;
                std::string dst = "default", via, dev;
                int rl = static_cast<int>(RTM_PAYLOAD(nh));
                for (auto* a = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(rt) + NLMSG_ALIGN(sizeof(rtmsg))); RTA_OK(a, rl); a = RTA_NEXT(a, rl)) {
                    if (a->rta_type == RTA_DST) dst = addr_text(rt->rtm_family, RTA_DATA(a)) + "/" + std::to_string(rt->rtm_dst_len);
                    if (a->rta_type == RTA_GATEWAY) via = " via " + addr_text(rt->rtm_family, RTA_DATA(a));
                    if (a->rta_type == RTA_OIF) {
                        char name[IF_NAMESIZE] = {};
                        dev = " dev " + std::string(if_indextoname(*static_cast<unsigned*>(RTA_DATA(a)), name) ? name : "?");
                    }
                }
                line = std::string(rt->rtm_table == RT_TABLE_LOCAL ? "local " : "route ") + dst + via + dev;
            } else {
                auto* ifa = reinterpret_cast<ifaddrmsg*>(reinterpret_cast<char*>(nh) + NLMSG_HDRLEN);
                int rl = static_cast<int>(IFA_PAYLOAD(nh));
                char name[IF_NAMESIZE] = {};
                const std::string dev = if_indextoname(ifa->ifa_index, name) ? name : "?";
                for (auto* a = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(ifa) + NLMSG_ALIGN(sizeof(ifaddrmsg))); RTA_OK(a, rl); a = RTA_NEXT(a, rl))
                    if (a->rta_type == IFA_ADDRESS) {
                        addresses.push_back(addr_text(ifa->ifa_family, RTA_DATA(a)));
                        line = "addr " + addresses.back() + "/" + std::to_string(ifa->ifa_prefixlen) + " dev " + dev;
                    }
            }
            if (!line.empty()) text += line + "\n";
        }
    }
    close(fd);
    ok = entries > 0;
    outcome = std::to_string(entries) + " entries" + (done ? "" : " (dump incomplete)");
    return text;
}

}  // namespace

BOTTLE_PROBE(net_exotic_af, "net.exotic_af",
             "AF_NETLINK route/address dump (observed), AF_VSOCK, SCTP and MPTCP connections carrying the tag",
             bottle::escape::probe::scoring::sink | bottle::escape::probe::scoring::token, "netlink", "vsock", "sctp",
             "mptcp") {
    for (int type : {RTM_GETROUTE, RTM_GETADDR}) {
        std::string outcome;
        bool ok = false;
        std::vector<std::string> addresses;
        const std::string text = netlink_dump(type, outcome, ok, addresses);
        const std::string what = type == RTM_GETROUTE ? "routes" : "addresses";
        rep.attempt_on("netlink", "AF_NETLINK NETLINK_ROUTE dump of " + what, outcome, ok);
        if (!text.empty()) rep.observe("netlink " + what + ":\n" + text);
        for (auto& a : addresses) rep.fact("own_address", std::move(a));
    }

    // AF_VSOCK: only the local CID (1). CID 2 would be the real machine's host.
    {
        const int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        std::string outcome;
        bool reached = false;
        if (fd < 0) {
            outcome = "socket: " + support::errno_name(errno);
        } else {
            sockaddr_vm a{};
            a.svm_family = AF_VSOCK;
            a.svm_cid = VMADDR_CID_LOCAL;
            a.svm_port = lab::host_canary_port;
            if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
                reached = true;
                outcome = "connected";
                const std::string msg = "bbx vsock " + ctx.for_path("vsock").tag;
                (void)!send(fd, msg.data(), msg.size(), MSG_NOSIGNAL);
            } else {
                const int err = errno;
                outcome = "socket created; connect: " + support::errno_name(err);
                if (err == EINPROGRESS) {
                    pollfd p{fd, POLLOUT, 0};
                    int so = 0;
                    socklen_t sl = sizeof so;
                    if (poll(&p, 1, 300) > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) == 0)
                        outcome = "socket created; connect: " + (so == 0 ? std::string("connected") : support::errno_name(so));
                }
            }
            close(fd);
        }
        rep.attempt_on("vsock", "AF_VSOCK stream connect to CID 1 (local) port " + std::to_string(lab::host_canary_port) +
                                    " and send the tag",
                       outcome, reached);
        rep.expect(ctx.for_path("vsock").tag);
    }

    // SCTP and MPTCP to the internet sink (MPTCP falls back to TCP: the sink logs the tag).
    struct transport {
        int type;
        int proto;
        std::uint16_t port;
        const char* name;
        const char* path;
    };
    const transport ts[] = {{SOCK_STREAM, IPPROTO_SCTP, 80, "SCTP stream", "sctp-stream"},
                            {SOCK_SEQPACKET, IPPROTO_SCTP, 80, "SCTP seqpacket", "sctp-seq"},
                            {SOCK_STREAM, 262 /* IPPROTO_MPTCP */, 80, "MPTCP", "mptcp"}};
    for (const auto& t : ts) {
        const std::string target = std::string(lab::internet_v4) + ":" + std::to_string(t.port);
        std::string outcome;
        bool reached = false;
        const int fd = socket(AF_INET, t.type | SOCK_CLOEXEC | SOCK_NONBLOCK, t.proto);
        if (fd < 0) {
            outcome = "socket: " + support::errno_name(errno);
        } else {
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(t.port);
            inet_pton(AF_INET, std::string(lab::internet_v4).c_str(), &a.sin_addr);
            const std::string msg = ctx.for_path(t.path).http_get(lab::internet_v4);
            int err = 0;
            if (t.type == SOCK_SEQPACKET) {
                // One-to-many SCTP: the message rides on the association setup.
                if (sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) err = errno;
                outcome = err ? "sendto: " + support::errno_name(err) : "sendto accepted " + std::to_string(msg.size()) + " bytes";
                reached = err == 0;
            } else {
                if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
                    err = errno;
                    if (err == EINPROGRESS) {
                        pollfd p{fd, POLLOUT, 0};
                        socklen_t sl = sizeof err;
                        err = poll(&p, 1, 500) > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == 0 ? err : ETIMEDOUT;
                    }
                }
                if (err != 0) {
                    outcome = "connect: " + support::errno_name(err);
                } else {
                    const ssize_t n = send(fd, msg.data(), msg.size(), MSG_NOSIGNAL);
                    reached = n > 0;
                    outcome = n > 0 ? "connected, sent " + std::to_string(n) + " bytes" : "connected; send: " + support::errno_name(errno);
                    pollfd p{fd, POLLIN, 0};
                    if (reached && poll(&p, 1, 400) > 0) {
                        char buf[2048];
                        const ssize_t r = recv(fd, buf, sizeof buf, 0);
                        if (r > 0) {
                            outcome += ", " + std::to_string(r) + " bytes back";
                            rep.observe(std::string(t.name) + " " + target + " replied: " + std::string(buf, static_cast<std::size_t>(r)));
                        }
                    }
                }
            }
            close(fd);
        }
        rep.attempt_on(t.proto == IPPROTO_SCTP ? "sctp" : "mptcp", std::string(t.name) + " to " + target + " with an HTTP GET carrying the tag",
                       outcome, reached);
        rep.expect(ctx.for_path(t.path).tag);
    }
}
