// tests/egress/egress_harness.hpp — runs the real bottle-egress binary
// against servers of the test's own on loopback (127.0.0.x only: nothing
// here ever sends a byte off this machine): an echo upstream that records
// what reached it, a one-response-per-request HTTP upstream, and a UDP DNS
// server that answers from a table the test can change between queries.
#pragma once

#include "support/temp_dir.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bottle::egress::testing {

/// The bottle-egress binary: $BOTTLE_EGRESS_BINARY, else the build tree's
/// (tests and benchmarks live one directory below the build root).
inline std::string binary_path() {
    if (const char* env = std::getenv("BOTTLE_EGRESS_BINARY")) return env;
#ifdef BOTTLE_BINARY_DIR
    return std::string(BOTTLE_BINARY_DIR) + "/tools/bottle-egress/bottle-egress";
#else
    return (std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() / "tools/bottle-egress/bottle-egress").string();
#endif
}

/// A TCP socket: listening (port 0 = ephemeral) or connected, with timeouts.
/// A listening TCP socket on `ip` (IPv4, or IPv6 when it holds a ':').
inline int tcp_listen(const std::string& ip, std::uint16_t port = 0) {
    const bool v6 = ip.find(':') != std::string::npos;
    const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage st{};
    socklen_t len = 0;
    if (v6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&st);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        ::inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr);
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&st);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        ::inet_pton(AF_INET, ip.c_str(), &a->sin_addr);
        len = sizeof *a;
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&st), len) != 0 || ::listen(fd, 128) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot listen on " + ip + ": " + std::strerror(errno));
    }
    return fd;
}

inline std::uint16_t local_port(int fd) {
    sockaddr_storage st{};
    socklen_t len = sizeof st;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&st), &len);
    if (st.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&st)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&st)->sin_port);
}

inline void set_timeout(int fd, int ms) {
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

inline int tcp_connect(const std::string& ip, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot connect to " + ip + ":" + std::to_string(port));
    }
    set_timeout(fd, 5000);
    return fd;
}

inline void send_all(int fd, const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

/// Reads until `want` bytes, end of stream, or the socket's timeout.
inline std::string recv_some(int fd, std::size_t want = 65536) {
    std::string out;
    char buf[16384];
    while (out.size() < want) {
        const ssize_t n = ::recv(fd, buf, std::min(sizeof buf, want - out.size()), 0);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

/// Reads an HTTP response head (up to and including CRLF CRLF).
inline std::string recv_head(int fd) {
    std::string out;
    char c;
    while (out.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) out += c;
    return out;
}

/// True when the peer closed (or reset) the connection within `ms`.
inline bool closed_within(int fd, int ms) {
    set_timeout(fd, ms);
    char buf[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n == 0) return true;
        if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
    }
}

/// Runs a server loop on its own thread: accept, then `serve(fd)`.
class tcp_server {
public:
    tcp_server(const std::string& ip, std::function<void(int)> serve) : fd_(tcp_listen(ip)), port_(local_port(fd_)) {
        thread_ = std::thread([this, serve] {
            for (;;) {
                const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
                if (c < 0) return;
                ++accepted_;
                set_timeout(c, 5000);
                std::thread([serve, c] {
                    serve(c);
                    ::close(c);
                }).detach();
            }
        });
    }
    ~tcp_server() {
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
    }
    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] int accepted() const { return accepted_; }

private:
    int fd_;
    std::uint16_t port_;
    std::atomic<int> accepted_{0};
    std::thread thread_;
};

/// Echoes every byte back and remembers what it received.
class echo_server {
public:
    explicit echo_server(const std::string& ip)
        : server_(ip, [this](int c) {
              char buf[16384];
              for (;;) {
                  const ssize_t n = ::recv(c, buf, sizeof buf, 0);
                  if (n <= 0) return;
                  {
                      std::lock_guard lock(mutex_);
                      received_.append(buf, static_cast<std::size_t>(n));
                  }
                  send_all(c, std::string(buf, static_cast<std::size_t>(n)));
              }
          }) {}
    [[nodiscard]] std::uint16_t port() const { return server_.port(); }
    [[nodiscard]] int accepted() const { return server_.accepted(); }
    [[nodiscard]] std::string received() {
        std::lock_guard lock(mutex_);
        return received_;
    }

private:
    std::mutex mutex_;
    std::string received_;
    tcp_server server_;
};

/// Reads request heads (no bodies unless Content-Length) and answers each
/// with 200 and a body naming the request count; records the heads.
class http_server {
public:
    explicit http_server(const std::string& ip)
        : server_(ip, [this](int c) {
              std::string buf;
              char tmp[4096];
              for (;;) {
                  std::size_t end;
                  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
                      const ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
                      if (n <= 0) return;
                      buf.append(tmp, static_cast<std::size_t>(n));
                  }
                  std::string head = buf.substr(0, end + 4);
                  buf.erase(0, end + 4);
                  std::size_t body = 0;
                  if (auto at = head.find("Content-Length: "); at != std::string::npos) body = std::stoul(head.substr(at + 16));
                  if (head.find("Transfer-Encoding: chunked") != std::string::npos) {  // enough for the tests' bodies
                      while ((body = buf.find("\r\n0\r\n\r\n")) == std::string::npos) {
                          const ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
                          if (n <= 0) return;
                          buf.append(tmp, static_cast<std::size_t>(n));
                      }
                      body += 7;
                  }
                  while (buf.size() < body) {
                      const ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
                      if (n <= 0) return;
                      buf.append(tmp, static_cast<std::size_t>(n));
                  }
                  head += buf.substr(0, body);
                  buf.erase(0, body);
                  std::string reply;
                  {
                      std::lock_guard lock(mutex_);
                      heads_.push_back(head);
                      reply = "response " + std::to_string(heads_.size());
                  }
                  send_all(c, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(reply.size()) +
                                  "\r\nKeep-Alive: timeout=5\r\nConnection: keep-alive\r\n\r\n" + reply);
              }
          }) {}
    [[nodiscard]] std::uint16_t port() const { return server_.port(); }
    [[nodiscard]] std::vector<std::string> heads() {
        std::lock_guard lock(mutex_);
        return heads_;
    }

private:
    std::mutex mutex_;
    std::vector<std::string> heads_;
    tcp_server server_;
};

}  // namespace bottle::egress::testing
