#include "heartbeat.hpp"

#include "lab_plan.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace bottle::escape::lab {

namespace {

std::string at(std::string_view ip, std::uint16_t port) { return std::string(ip) + ":" + std::to_string(port); }

// Sends `data` to an inet or unix stream address and closes; best effort.
void stream_send(sockaddr* addr, socklen_t len, int family, const std::string& data) {
    const int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return;
    if (connect(fd, addr, len) != 0 && errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        (void)poll(&p, 1, 1000);
    }
    (void)!::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    close(fd);
}

void tcp_send(std::string_view ip, std::uint16_t port, const std::string& data) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (inet_pton(AF_INET, std::string(ip).c_str(), &a.sin_addr) != 1) return;
    stream_send(reinterpret_cast<sockaddr*>(&a), sizeof a, AF_INET, data);
}

void unix_send(std::string_view path, const std::string& data) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    socklen_t len = sizeof a;
    if (path.size() >= sizeof a.sun_path) return;
    if (path.front() == '@') {
        std::memcpy(a.sun_path + 1, path.data() + 1, path.size() - 1);
        len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    } else {
        std::memcpy(a.sun_path, path.data(), path.size());
    }
    stream_send(reinterpret_cast<sockaddr*>(&a), len, AF_UNIX, data);
}

void udp_send(std::string_view ip, std::uint16_t port, const std::string& data) {
    const bool v6 = ip.find(':') != std::string_view::npos;
    const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    if (v6) {
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(port);
        if (inet_pton(AF_INET6, std::string(ip).c_str(), &a.sin6_addr) == 1)
            (void)sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        if (inet_pton(AF_INET, std::string(ip).c_str(), &a.sin_addr) == 1)
            (void)sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    close(fd);
}

}  // namespace

std::vector<heartbeat_record> heartbeat_expectations() {
    std::vector<heartbeat_record> out;
    for (std::uint16_t port : world_tcp_ports) out.push_back({"world.tcp", at(internet_v4, port)});
    out.push_back({"world.dns", at(dns_v4, 53)});
    out.push_back({"world.dns", at(dns_v6, 53)});
    for (std::uint16_t port : world_udp_ports) out.push_back({port == 53 ? "world.dns" : "world.udp", "*:" + std::to_string(port)});
    out.push_back({"world.wire", ""});
    out.push_back({"host.canary", at(host_v4_primary, host_canary_port)});
    out.push_back({"host.canary", at(host_v4_secondary, host_canary_port)});
    out.push_back({"host.any", at(host_v4_primary, host_any_port)});
    out.push_back({"host.sibling", at(sibling_v4, sibling_port)});
    out.push_back({"host.ssh", at(host_v4_primary, host_ssh_port)});
    for (std::string_view path : {engine_socket, ssh_agent_socket, dbus_session_socket, dbus_system_socket})
        out.push_back({path == engine_socket ? "host.engine" : path == ssh_agent_socket ? "host.ssh_agent" : "host.dbus",
                       std::string(path)});
    out.push_back({"host.abstract", "@" + std::string(abstract_socket)});
    out.push_back({"host.canary_process", ""});
    return out;
}

std::string heartbeat_tag(std::string_view nonce, std::string_view phase) {
    return "bbx-" + std::string(nonce) + "-heartbeat-" + std::string(phase);
}

int heartbeat_signal_value(std::string_view nonce, std::string_view phase) {
    return canary_signal_value(nonce) ^ (phase == "pre" ? 0x5a5a5a5a : 0x25252525);
}

void send_heartbeats(std::string_view nonce, std::string_view phase, pid_t canary) {
    const std::string tag = heartbeat_tag(nonce, phase);
    for (std::uint16_t port : world_tcp_ports) tcp_send(internet_v4, port, tag);
    udp_send(dns_v4, 53, tag);
    udp_send(dns_v6, 53, tag);
    for (std::uint16_t port : world_udp_ports) udp_send(internet_v4, port, tag);
    tcp_send(host_v4_primary, host_canary_port, tag);
    tcp_send(host_v4_secondary, host_canary_port, tag);
    tcp_send(host_v4_primary, host_any_port, tag);
    tcp_send(sibling_v4, sibling_port, tag);
    tcp_send(host_v4_primary, host_ssh_port, tag);
    for (std::string_view path : {engine_socket, ssh_agent_socket, dbus_session_socket, dbus_system_socket}) unix_send(path, tag);
    unix_send("@" + std::string(abstract_socket), tag);
    if (canary > 0) {
        sigval v{};
        v.sival_int = heartbeat_signal_value(nonce, phase);
        (void)sigqueue(canary, SIGUSR2, v);
    }
}

std::vector<std::string> missing_heartbeats(const std::vector<protocol::lab_event>& events, std::string_view nonce,
                                            std::string_view phase) {
    const std::string tag = heartbeat_tag(nonce, phase);
    const std::string signal_value = " si_code=SI_QUEUE value=" + std::to_string(heartbeat_signal_value(nonce, phase));
    std::vector<std::string> missing;
    for (const auto& want : heartbeat_expectations()) {
        const bool found = std::any_of(events.begin(), events.end(), [&](const protocol::lab_event& e) {
            if (e.sink != want.sink || (!want.local.empty() && e.local != want.local)) return false;
            if (want.sink == "host.canary_process")
                return e.data.size() >= signal_value.size() &&
                       e.data.compare(e.data.size() - signal_value.size(), signal_value.size(), signal_value) == 0;
            return e.data.find(tag) != std::string::npos;
        });
        if (!found) missing.push_back(want.sink + (want.local.empty() ? "" : " " + want.local));
    }
    return missing;
}

}  // namespace bottle::escape::lab
