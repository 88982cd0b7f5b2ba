#include "sinks.hpp"

#include "../protocol/lines.hpp"
#include "dns_wire.hpp"
#include "lab_plan.hpp"
#include "log_file.hpp"
#include "sink_listeners.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <csignal>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace bottle::escape::lab {

namespace {

using detail::kind;
using detail::listener;
using detail::local_text;
using detail::sockaddr_text;

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

bool looks_http(std::string_view d) {
    for (const char* m : {"GET ", "POST ", "PUT ", "HEAD ", "CONNECT ", "OPTIONS ", "DELETE ", "PATCH ", "PRI "})
        if (d.rfind(m, 0) == 0) return true;
    return false;
}

// One TCP or unix connection, until the peer closes or the sinks stop (an
// idle connection stays open: a leaked descriptor may be used late in the
// run). Every chunk is logged as it arrives, with the tail of what came
// before it so a tag split between two reads is whole in the later line.
// Answers just enough for the client to go on: a banner (ssh, ftp, smtp),
// the DNS/TCP answer and the SOCKS5 method choice, and after a complete HTTP
// head a 200 whose end is marked by shutting the write side — the client
// sees the end of the reply at once, and anything it still sends (a
// smuggled request behind a body) is read and logged too. Other protocols'
// clients see the write side shut after 300 ms of quiet.
void serve_stream(int fd, listener where, std::string peer, event_log& log, int stop_fd) {
    constexpr std::size_t overlap = 128, keep = 64 * 1024;
    if (where.port == 22) (void)!::write(fd, "SSH-2.0-bbx-canary\r\n", 20);
    if (where.port == 21) (void)!::write(fd, "220 bbx-canary ftp\r\n", 20);
    if (where.port == 25) (void)!::write(fd, "220 bbx-canary smtp\r\n", 21);
    const std::string proto = where.type == kind::unix_stream ? "unix" : "tcp";
    std::string data;  // what arrived so far (the first `keep` bytes)
    bool answered = false, logged = false;
    for (;;) {
        pollfd p[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
        // A client that sent something and waits for an answer we do not
        // speak (an ssh version line, an agent request) sees the end of our
        // side after 300 ms quiet; its socket stays open for late data.
        const int ready = poll(p, 2, data.empty() || answered ? -1 : 300);
        if (ready < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (ready == 0) {
            shutdown(fd, SHUT_WR);
            answered = true;
            continue;
        }
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)) && p[1].revents) break;  // the run ended
        char buf[4096];
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        const std::string_view chunk(buf, static_cast<std::size_t>(n));
        const std::size_t tail = std::min(data.size(), overlap);
        log.write(where.name, proto, where.local, peer, data.substr(data.size() - tail) + std::string(chunk));
        logged = true;
        if (data.size() < keep) data.append(chunk.substr(0, keep - data.size()));
        if (answered) continue;
        if (where.port == 53 && where.type == kind::tcp && data.size() >= 2) {
            const std::size_t len = (static_cast<unsigned char>(data[0]) << 8) | static_cast<unsigned char>(data[1]);
            if (data.size() >= 2 + len) {
                if (auto q = dns::parse_query(std::string_view(data).substr(2, len))) {
                    const std::string a = dns::answer(*q);
                    const std::string framed = std::string{static_cast<char>(a.size() >> 8), static_cast<char>(a.size() & 0xff)} + a;
                    (void)!::write(fd, framed.data(), framed.size());
                }
                shutdown(fd, SHUT_WR);
                answered = true;
            }
        } else if (where.port == 1080 && data.size() >= 2 && data[0] == 5) {
            (void)!::write(fd, "\x05\x00", 2);  // SOCKS5: no authentication; the request follows
            answered = true;
        } else if (looks_http(data) && data.find("\r\n\r\n") != std::string::npos) {
            const std::string body = where.type == kind::unix_stream ? "{\"bbx\":\"fake-engine\",\"Containers\":[]}" : "bbx-sink";
            const std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
            (void)!::write(fd, reply.data(), reply.size());
            shutdown(fd, SHUT_WR);
            answered = true;
        }
    }
    // A connection that carried nothing is still a record (a bare connect);
    // one that did ends with the whole stream it carried (what the runner
    // judges at the allowed upstream, runner/upstream_policy.hpp).
    if (!logged) log.write(where.name, proto, where.local, peer, "");
    else log.write(where.name, proto + "-stream", where.local, peer, data);
    close(fd);
}

// One datagram; false when none was waiting (flags MSG_DONTWAIT).
bool serve_udp(const listener& where, event_log& log, int flags = 0) {
    char buf[4096];
    sockaddr_storage peer{};
    socklen_t plen = sizeof peer;
    const ssize_t n = recvfrom(where.fd, buf, sizeof buf, flags, reinterpret_cast<sockaddr*>(&peer), &plen);
    if (n < 0) return false;
    const std::string_view data(buf, static_cast<std::size_t>(n));
    if (where.port == 53) {
        if (auto q = dns::parse_query(data)) {
            const std::string a = dns::answer(*q);
            sendto(where.fd, a.data(), a.size(), 0, reinterpret_cast<sockaddr*>(&peer), plen);
        }
    }
    log.write(where.name, "udp", where.local, sockaddr_text(peer), data);
    return true;
}

// One frame; false when none was waiting (flags MSG_DONTWAIT).
bool serve_capture(const listener& where, event_log& log, int flags = 0) {
    char buf[65536];
    const ssize_t n = recv(where.fd, buf, sizeof buf, flags);
    if (n <= 0) return false;
    const std::string_view frame(buf, static_cast<std::size_t>(n));
    if (frame.find("bbx-") != std::string_view::npos) log.write(where.name, "frame", where.local, "", frame);
    return true;
}

}  // namespace

int serve(const sink_options& o) {
    std::vector<listener> ls;
    std::string why;
    const bool ok = detail::setup_listeners(o, ls, why);
    if (!ok) {
        std::fprintf(stderr, "bottle-escape: lab %s sinks: %s\n", o.role.c_str(), why.c_str());
        return 1;
    }
    event_log log(o.log_fd);
    for (const auto& l : ls)
        if (l.optional) log.write(l.name, "listen", l.local, "", "");
    if (o.ready_fd >= 0) {
        (void)!::write(o.ready_fd, "R", 1);
        close(o.ready_fd);
    }
    std::vector<pollfd> fds;
    for (const auto& l : ls) fds.push_back({l.fd, POLLIN, 0});
    fds.push_back({o.stop_fd, POLLIN, 0});
    std::vector<std::thread> connections;
    auto accept_one = [&](const listener& l) {
        sockaddr_storage peer{};
        socklen_t plen = sizeof peer;
        const int c = accept4(l.fd, reinterpret_cast<sockaddr*>(&peer), &plen, SOCK_CLOEXEC);
        if (c < 0) return false;
        listener where = l;
        if (l.type == kind::tcp) where.local = local_text(c);
        connections.emplace_back(serve_stream, c, where, l.type == kind::tcp ? sockaddr_text(peer) : "unix", std::ref(log),
                                 o.stop_fd);
        return true;
    };
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
                (void)accept_one(l);
            }
        }
    }
    // Stopping: nothing already queued is lost. Drain every listener, then
    // let each connection read what is left and join it.
    for (const auto& l : ls) {
        if (l.type == kind::udp)
            while (serve_udp(l, log, MSG_DONTWAIT)) {}
        else if (l.type == kind::capture)
            while (serve_capture(l, log, MSG_DONTWAIT)) {}
        else
            for (pollfd p{l.fd, POLLIN, 0}; poll(&p, 1, 0) == 1 && accept_one(l);) {}
    }
    for (auto& t : connections) t.join();
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
