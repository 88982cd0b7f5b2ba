// The sockets around bottle-agent-start's forwarder in its tests: a unix
// socket server standing in for the egress proxy (uppercase echo, and a
// trailer only once the client's end of file arrived), a free loopback
// port, and a client round trip with a half-close. Everything bounded by
// socket timeouts, so a broken relay fails a test instead of hanging it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bottle::test_support {

using namespace std::chrono_literals;

inline void set_timeouts(int fd, std::chrono::seconds limit) {
    const timeval tv{static_cast<time_t>(limit.count()), 0};
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

inline bool send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

inline std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

/// The egress proxy's stand-in: a unix socket that answers every
/// connection with its bytes uppercased as they come, then "|eof\n" once
/// the client's end of file arrived, then closes.
class upper_server {
public:
    explicit upper_server(std::string path) : path_(std::move(path)) {
        listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::memcpy(a.sun_path, path_.c_str(), path_.size() + 1);
        if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_, 64) != 0)
            throw std::runtime_error("upper_server: cannot listen on " + path_ + ": " + std::strerror(errno));
        accepting_ = std::thread([this] { accept_loop(); });
    }
    ~upper_server() {
        stopping_ = true;
        const int wake = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::memcpy(a.sun_path, path_.c_str(), path_.size() + 1);
        (void)::connect(wake, reinterpret_cast<sockaddr*>(&a), sizeof a);
        accepting_.join();
        ::close(wake);
        for (auto& t : served_) t.join();
        ::close(listener_);
    }
    upper_server(const upper_server&) = delete;
    upper_server& operator=(const upper_server&) = delete;
    int connections() const { return connections_; }

private:
    void accept_loop() {
        while (true) {
            const int c = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0 && errno == EINTR) continue;
            if (c < 0) return;
            if (stopping_) {
                ::close(c);
                return;
            }
            ++connections_;
            served_.emplace_back([c] { serve(c); });
        }
    }
    static void serve(int c) {
        set_timeouts(c, 20s);
        char buffer[8192];
        ssize_t n;
        while ((n = ::recv(c, buffer, sizeof buffer, 0)) > 0)
            if (!send_all(c, upper(std::string(buffer, static_cast<std::size_t>(n))))) break;
        if (n == 0) (void)send_all(c, "|eof\n");
        ::close(c);
    }
    std::string path_;
    int listener_ = -1;
    std::atomic<bool> stopping_{false};
    std::atomic<int> connections_{0};
    std::thread accepting_;
    std::vector<std::thread> served_;
};

/// A loopback port that was free a moment ago.
inline int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size) != 0)
        throw std::runtime_error(std::string("free_port: ") + std::strerror(errno));
    ::close(fd);
    return ntohs(a.sin_port);
}

inline int connect_port(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    set_timeouts(fd, 20s);
    return fd;
}

/// One connection through the forwarder: `request` written (while the
/// reply is read), then the write side shut; everything read until the
/// other end closes.
inline std::string round_trip(int port, const std::string& request) {
    const int fd = connect_port(port);
    if (fd < 0) return std::string("connect: ") + std::strerror(errno);
    std::thread writer([&] {
        if (send_all(fd, request)) ::shutdown(fd, SHUT_WR);
    });
    std::string reply;
    char buffer[16384];
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) reply.append(buffer, static_cast<std::size_t>(n));
    if (n < 0) reply += std::string("[recv: ") + std::strerror(errno) + "]";
    writer.join();
    ::close(fd);
    return reply;
}

}  // namespace bottle::test_support
