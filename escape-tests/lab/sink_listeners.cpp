#include "sink_listeners.hpp"

#include "lab_plan.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/vm_sockets.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace bottle::escape::lab::detail {

std::string sockaddr_text(const sockaddr_storage& ss) {
    char buf[INET6_ADDRSTRLEN] = "?";
    if (ss.ss_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
        inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
        return std::string(buf) + ":" + std::to_string(ntohs(a->sin_port));
    }
    if (ss.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
        inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
        std::string s = buf;
        if (s.rfind("::ffff:", 0) == 0 && s.find('.') != std::string::npos) return s.substr(7) + ":" + std::to_string(ntohs(a->sin6_port));
        return "[" + s + "]:" + std::to_string(ntohs(a->sin6_port));
    }
    return "unix";
}

std::string local_text(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
    return sockaddr_text(ss);
}

namespace {

// Binds a TCP/UDP socket to ip:port ("::" = every address, dual stack).
int bind_inet(int type, const std::string& ip, std::uint16_t port, std::string& why) {
    const bool v6 = ip.find(':') != std::string::npos;
    const int fd = socket(v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        why = std::string("socket: ") + std::strerror(errno);
        return -1;
    }
    const int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // AnyIP addresses are local by route, not by interface: IPv6 needs
    // freebind to bind one of them explicitly.
    setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_FREEBIND : IP_FREEBIND, &one, sizeof one);
    int rc;
    if (v6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, ip == "::" ? &zero : &one, sizeof one);
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(port);
        inet_pton(AF_INET6, ip.c_str(), &a.sin6_addr);
        rc = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
        rc = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    if (rc != 0 || (type == SOCK_STREAM && listen(fd, 64) != 0)) {
        why = "bind " + ip + ":" + std::to_string(port) + ": " + std::strerror(errno);
        close(fd);
        return -1;
    }
    return fd;
}

int bind_unix(const std::string& path, std::string& why) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    socklen_t len;
    if (!path.empty() && path[0] == '@') {
        std::memcpy(a.sun_path + 1, path.data() + 1, path.size() - 1);
        len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    } else {
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
        unlink(path.c_str());
        std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
        len = sizeof a;
    }
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || listen(fd, 32) != 0) {
        why = "unix socket " + path + ": " + std::strerror(errno);
        if (fd >= 0) close(fd);
        return -1;
    }
    if (path[0] != '@') chmod(path.c_str(), 0666);
    return fd;
}

bool add(std::vector<listener>& out, int fd, kind type, std::string name, std::string local, std::uint16_t port) {
    if (fd < 0) return false;
    out.push_back({fd, type, std::move(name), std::move(local), port});
    return true;
}

bool setup_world(const sink_options& o, std::vector<listener>& ls, std::string& why) {
    for (std::uint16_t port : world_tcp_ports)
        if (!add(ls, bind_inet(SOCK_STREAM, "::", port, why), kind::tcp, "world.tcp", "*:" + std::to_string(port), port)) return false;
    // DNS: address-specific sockets so answers come from the address asked.
    for (std::string_view ip : {dns_v4, dns_v6})
        if (!add(ls, bind_inet(SOCK_DGRAM, std::string(ip), 53, why), kind::udp, "world.dns", std::string(ip) + ":53", 53)) return false;
    for (std::uint16_t port : world_udp_ports)
        if (!add(ls, bind_inet(SOCK_DGRAM, "::", port, why), kind::udp, port == 53 ? "world.dns" : "world.udp",
                 "*:" + std::to_string(port), port))
            return false;
    const int cap = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (cap < 0) {
        why = std::string("packet capture socket: ") + std::strerror(errno);
        return false;
    }
    sockaddr_ll ll{};
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = htons(ETH_P_ALL);
    ll.sll_ifindex = static_cast<int>(if_nametoindex(o.capture_ifname.c_str()));
    if (ll.sll_ifindex == 0 || bind(cap, reinterpret_cast<sockaddr*>(&ll), sizeof ll) != 0) {
        why = "packet capture on " + o.capture_ifname + ": " + std::strerror(errno);
        close(cap);
        return false;
    }
    if (!add(ls, cap, kind::capture, "world.wire", o.capture_ifname, 0)) return false;
    // SCTP where the kernel has it (one-to-one style, served like TCP).
    if (const int sctp = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_SCTP); sctp >= 0) {
        const int zero = 0, one = 1;
        setsockopt(sctp, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        setsockopt(sctp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(80);
        a.sin6_addr = in6addr_any;
        if (bind(sctp, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(sctp, 16) == 0) {
            ls.push_back({sctp, kind::tcp, "world.sctp", "*:80", 80, true});
        } else {
            close(sctp);
        }
    }
    return true;
}

bool setup_host(const sink_options& o, std::vector<listener>& ls, std::string& why) {
    struct tcp_spec {
        std::string_view ip;
        std::uint16_t port;
        const char* name;
    };
    const tcp_spec tcp[] = {{host_v4_primary, host_canary_port, "host.canary"},
                            {host_v4_secondary, host_canary_port, "host.canary"},
                            {"0.0.0.0", host_any_port, "host.any"},
                            {sibling_v4, sibling_port, "host.sibling"},
                            {host_v4_primary, host_ssh_port, "host.ssh"}};
    for (const auto& t : tcp)
        if (!add(ls, bind_inet(SOCK_STREAM, std::string(t.ip), t.port, why), kind::tcp, t.name,
                 std::string(t.ip) + ":" + std::to_string(t.port), t.port))
            return false;
    // Unix sockets live under the run root, which the lab mounts on /run.
    auto inside = [&](std::string_view lab_path) { return o.run_root + std::string(lab_path.substr(4)); };  // strip "/run"
    // No fake containerd socket: a dockerd started in the lab (docker profile)
    // would take it for a system containerd.
    const std::pair<std::string_view, const char*> unix_socks[] = {{engine_socket, "host.engine"},
                                                                   {ssh_agent_socket, "host.ssh_agent"},
                                                                   {dbus_session_socket, "host.dbus"},
                                                                   {dbus_system_socket, "host.dbus"}};
    for (const auto& [path, name] : unix_socks)
        if (!add(ls, bind_unix(inside(path), why), kind::unix_stream, name, std::string(path), 0)) return false;
    if (!add(ls, bind_unix("@" + std::string(abstract_socket), why), kind::unix_stream, "host.abstract",
             "@" + std::string(abstract_socket), 0))
        return false;
    // vsock on the local CID where the kernel has loopback vsock.
    if (const int vs = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0); vs >= 0) {
        sockaddr_vm a{};
        a.svm_family = AF_VSOCK;
        a.svm_cid = VMADDR_CID_LOCAL;
        a.svm_port = host_canary_port;
        if (bind(vs, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(vs, 16) == 0) {
            ls.push_back({vs, kind::unix_stream, "host.vsock", "vsock:1:" + std::to_string(host_canary_port), 0, true});
        } else {
            close(vs);
        }
    }
    return true;
}

}  // namespace

bool setup_listeners(const sink_options& o, std::vector<listener>& ls, std::string& why) {
    return o.role == "world" ? setup_world(o, ls, why) : setup_host(o, ls, why);
}

}  // namespace bottle::escape::lab::detail
