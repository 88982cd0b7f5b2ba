#include "sinks.hpp"

#include "../protocol/lines.hpp"
#include "dns_wire.hpp"
#include "lab_plan.hpp"
#include "log_file.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace bottle::escape::lab {

namespace {

enum class kind { tcp, udp, unix_stream, capture };

struct listener {
    int fd = -1;
    kind type = kind::tcp;
    std::string name;      // sink name in the log: "world.tcp", "host.canary", ...
    std::string local;     // "203.0.113.53:53", "/run/docker.sock", "*:80"
    std::uint16_t port = 0;
};

class event_log {
public:
    explicit event_log(int fd) : fd_(fd) {}
    void write(const std::string& sink, const std::string& proto, const std::string& local, const std::string& peer,
               std::string_view data) {
        const std::string line = protocol::encode(protocol::lab_event{sink, proto, local, peer, std::string(data), wall_ms()});
        std::lock_guard lock(mutex_);
        append_line(fd_, line);
    }

private:
    int fd_;
    std::mutex mutex_;
};

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

bool looks_http(std::string_view d) {
    for (const char* m : {"GET ", "POST ", "PUT ", "HEAD ", "CONNECT ", "OPTIONS ", "DELETE ", "PATCH ", "PRI "})
        if (d.rfind(m, 0) == 0) return true;
    return false;
}

// One TCP or unix connection: greet, read what the client sends (up to 4 KiB,
// until it stops for 300 ms, at most 2 s), answer, log.
void serve_stream(int fd, listener where, std::string peer, event_log& log) {
    std::string data;
    if (where.port == 22) (void)!::write(fd, "SSH-2.0-bbx-canary\r\n", 20);
    if (where.port == 21) (void)!::write(fd, "220 bbx-canary ftp\r\n", 20);
    if (where.port == 25) (void)!::write(fd, "220 bbx-canary smtp\r\n", 21);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    bool answered = false;
    while (data.size() < 4096 && std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, data.empty() ? 1000 : 300) <= 0) break;
        char buf[4096];
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        data.append(buf, static_cast<std::size_t>(n));
        if (where.port == 53 && where.type == kind::tcp && data.size() >= 2) {
            const std::size_t len = (static_cast<unsigned char>(data[0]) << 8) | static_cast<unsigned char>(data[1]);
            if (data.size() >= 2 + len) {
                if (auto q = dns::parse_query(std::string_view(data).substr(2, len))) {
                    const std::string a = dns::answer(*q);
                    const std::string framed = std::string{static_cast<char>(a.size() >> 8), static_cast<char>(a.size() & 0xff)} + a;
                    (void)!::write(fd, framed.data(), framed.size());
                }
                answered = true;
                break;
            }
        }
        if (where.port == 1080 && data.size() >= 2 && data[0] == 5 && !answered) {
            (void)!::write(fd, "\x05\x00", 2);  // SOCKS5: no authentication; the request follows
            answered = true;
        }
        if (looks_http(data) && data.find("\r\n\r\n") != std::string::npos) break;
    }
    if (looks_http(data)) {
        const std::string body = where.type == kind::unix_stream ? "{\"bbx\":\"fake-engine\",\"Containers\":[]}" : "bbx-sink";
        const std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                                  std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
        (void)!::write(fd, reply.data(), reply.size());
    }
    log.write(where.name, where.type == kind::unix_stream ? "unix" : "tcp", where.local, peer, data);
    close(fd);
}

void serve_udp(const listener& where, event_log& log) {
    char buf[4096];
    sockaddr_storage peer{};
    socklen_t plen = sizeof peer;
    const ssize_t n = recvfrom(where.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &plen);
    if (n < 0) return;
    const std::string_view data(buf, static_cast<std::size_t>(n));
    if (where.port == 53) {
        if (auto q = dns::parse_query(data)) {
            const std::string a = dns::answer(*q);
            sendto(where.fd, a.data(), a.size(), 0, reinterpret_cast<sockaddr*>(&peer), plen);
        }
    }
    log.write(where.name, "udp", where.local, sockaddr_text(peer), data);
}

void serve_capture(const listener& where, event_log& log) {
    char buf[65536];
    const ssize_t n = recv(where.fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    const std::string_view frame(buf, static_cast<std::size_t>(n));
    if (frame.find("bbx-") == std::string_view::npos) return;
    log.write(where.name, "frame", where.local, "", frame);
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
    return add(ls, cap, kind::capture, "world.wire", o.capture_ifname, 0);
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
    return add(ls, bind_unix("@" + std::string(abstract_socket), why), kind::unix_stream, "host.abstract",
               "@" + std::string(abstract_socket), 0);
}

}  // namespace

int serve(const sink_options& o) {
    std::vector<listener> ls;
    std::string why;
    const bool ok = o.role == "world" ? setup_world(o, ls, why) : setup_host(o, ls, why);
    if (!ok) {
        std::fprintf(stderr, "bottle-escape: lab %s sinks: %s\n", o.role.c_str(), why.c_str());
        return 1;
    }
    event_log log(o.log_fd);
    if (o.ready_fd >= 0) {
        (void)!::write(o.ready_fd, "R", 1);
        close(o.ready_fd);
    }
    std::vector<pollfd> fds;
    for (const auto& l : ls) fds.push_back({l.fd, POLLIN, 0});
    fds.push_back({o.stop_fd, POLLIN, 0});
    for (;;) {
        if (poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds.back().revents) break;
        for (std::size_t i = 0; i < ls.size(); ++i) {
            if (!(fds[i].revents & POLLIN)) continue;
            const listener& l = ls[i];
            if (l.type == kind::udp) {
                serve_udp(l, log);
            } else if (l.type == kind::capture) {
                serve_capture(l, log);
            } else {
                sockaddr_storage peer{};
                socklen_t plen = sizeof peer;
                const int c = accept4(l.fd, reinterpret_cast<sockaddr*>(&peer), &plen, SOCK_CLOEXEC);
                if (c < 0) continue;
                listener where = l;
                if (l.type == kind::tcp) where.local = local_text(c);
                std::thread(serve_stream, c, where, l.type == kind::tcp ? sockaddr_text(peer) : "unix", std::ref(log)).detach();
            }
        }
    }
    return 0;
}

sink_process::sink_process(sink_process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), stop_write_(std::exchange(other.stop_write_, -1)) {}

sink_process& sink_process::operator=(sink_process&& other) noexcept {
    if (this != &other) {
        stop();
        pid_ = std::exchange(other.pid_, -1);
        stop_write_ = std::exchange(other.stop_write_, -1);
    }
    return *this;
}

void sink_process::stop(int grace_ms) noexcept {
    if (stop_write_ >= 0) {
        (void)!::write(stop_write_, "x", 1);
        close(stop_write_);
        stop_write_ = -1;
    }
    if (pid_ <= 0) return;
    for (int waited = 0; waited < grace_ms; waited += 10) {
        if (waitpid(pid_, nullptr, WNOHANG) != 0) {
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

result<sink_process> start_sink_process(sink_options options, const std::function<bool()>& prepare) {
    int ready[2], stop[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return make_error(errc::io_error, std::string("pipe: ") + std::strerror(errno));
    if (pipe2(stop, O_CLOEXEC) != 0) {
        const int err = errno;
        close(ready[0]);
        close(ready[1]);
        return make_error(errc::io_error, std::string("pipe: ") + std::strerror(err));
    }
    const pid_t pid = fork();
    if (pid < 0) {
        const int err = errno;
        for (int fd : {ready[0], ready[1], stop[0], stop[1]}) close(fd);
        return make_error(errc::io_error, std::string("fork: ") + std::strerror(err));
    }
    if (pid == 0) {
        close(ready[0]);
        close(stop[1]);
        if (!prepare()) _exit(1);
        options.ready_fd = ready[1];
        options.stop_fd = stop[0];
        _exit(serve(options));
    }
    close(ready[1]);
    close(stop[0]);
    sink_process process(pid, stop[1]);
    pollfd p{ready[0], POLLIN, 0};
    char c = 0;
    const bool ok = poll(&p, 1, 5000) == 1 && read(ready[0], &c, 1) == 1;
    close(ready[0]);
    if (!ok) return make_error(errc::io_error, "lab " + options.role + " sinks did not start (see the message above)");
    return process;
}

}  // namespace bottle::escape::lab
