#include "open_proxy.hpp"

#include "lab_plan.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

namespace bottle::escape::lab {

namespace {

constexpr int idle_ms = 3000;

void send_text(int fd, const std::string& s) { (void)!::send(fd, s.data(), s.size(), MSG_NOSIGNAL); }

// A connected socket to host:port when it resolves to a lab address, else -1.
int connect_lab(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return -1;
    int fd = -1;
    for (auto* a = found; a && fd < 0; a = a->ai_next) {
        char text[INET6_ADDRSTRLEN] = {};
        const void* addr = a->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
                                                   : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
        if (!inet_ntop(a->ai_family, addr, text, sizeof text) || !is_lab_target(text)) continue;
        fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(found);
    return fd;
}

// "host:port", "[v6]:port" or "host" (port `dflt`).
void split(const std::string& authority, std::string& host, std::string& port, const char* dflt) {
    if (!authority.empty() && authority[0] == '[') {
        const auto close_at = authority.find(']');
        host = authority.substr(1, close_at == std::string::npos ? std::string::npos : close_at - 1);
        port = close_at != std::string::npos && close_at + 1 < authority.size() && authority[close_at + 1] == ':'
                   ? authority.substr(close_at + 2)
                   : dflt;
        return;
    }
    const auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    port = colon == std::string::npos ? dflt : authority.substr(colon + 1);
}

// Copies bytes both ways until either side closes or both are idle.
void relay(int a, int b) {
    pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    char buf[16384];
    while (poll(p, 2, idle_ms) > 0) {
        for (int i = 0; i < 2; ++i) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t n = recv(p[i].fd, buf, sizeof buf, 0);
            if (n <= 0) return;
            if (::send(p[1 - i].fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) return;
        }
    }
}

void serve_client(int client, proxy_mode mode) {
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 16384) {
        pollfd p{client, POLLIN, 0};
        if (poll(&p, 1, idle_ms) <= 0) break;
        const ssize_t n = recv(client, buf, sizeof buf, 0);
        if (n <= 0) break;
        head.append(buf, static_cast<std::size_t>(n));
    }
    const auto sp1 = head.find(' '), sp2 = head.find(' ', sp1 == std::string::npos ? 0 : sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos) {
        close(client);
        return;
    }
    const std::string method = head.substr(0, sp1), target = head.substr(sp1 + 1, sp2 - sp1 - 1);
    if (mode == proxy_mode::rewrite) {
        if (method == "CONNECT") {
            send_text(client, "HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n");
            close(client);
            return;
        }
        std::string path = target;
        if (path.rfind("http://", 0) == 0) path = path.find('/', 7) == std::string::npos ? "/" : path.substr(path.find('/', 7));
        if (path.empty() || path[0] != '/') path = "/" + path;
        head = "GET " + path + " HTTP/1.1\r\nHost: " + std::string(allowed_name) + "\r\nConnection: close\r\n\r\n";
        const int upstream = connect_lab(std::string(allowed_v4), "80");
        if (upstream < 0) {
            send_text(client, "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n");
            close(client);
            return;
        }
        send_text(upstream, head);
        shutdown(upstream, SHUT_WR);
        // Only the answer goes back; nothing more of the client's goes out.
        char answer[16384];
        for (pollfd p{upstream, POLLIN, 0}; poll(&p, 1, idle_ms) > 0;) {
            const ssize_t n = recv(upstream, answer, sizeof answer, 0);
            if (n <= 0 || ::send(client, answer, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
        }
        close(upstream);
        close(client);
        return;
    }
    std::string host, port;
    if (method == "CONNECT") {
        split(target, host, port, "443");
    } else if (target.rfind("http://", 0) == 0) {
        split(target.substr(7, target.find('/', 7) == std::string::npos ? std::string::npos : target.find('/', 7) - 7), host, port, "80");
    } else {
        send_text(client, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
        close(client);
        return;
    }
    const int upstream = connect_lab(host, port);
    if (upstream < 0) {
        send_text(client, "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n");
        close(client);
        return;
    }
    if (method == "CONNECT") {
        send_text(client, "HTTP/1.1 200 Connection established\r\n\r\n");
        const auto end = head.find("\r\n\r\n");
        if (end + 4 < head.size()) send_text(upstream, head.substr(end + 4));  // bytes sent ahead of the answer
    } else {
        send_text(upstream, head);  // forwarded as it came: this proxy enforces nothing
    }
    relay(client, upstream);
    close(upstream);
    close(client);
}

}  // namespace

result<void> open_proxy::start(proxy_mode mode) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(open_proxy_port);
    inet_pton(AF_INET, std::string(host_v4_primary).c_str(), &a.sin_addr);
    const int one = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 64) != 0) {
        const int err = errno;
        if (fd >= 0) close(fd);
        return make_error(errc::io_error, "open proxy on 127.0.0.1:" + std::to_string(open_proxy_port) + ": " + std::strerror(err));
    }
    pid_ = fork();
    if (pid_ < 0) {
        const int err = errno;
        close(fd);
        return make_error(errc::io_error, std::string("fork the open proxy: ") + std::strerror(err));
    }
    if (pid_ == 0) {
        signal(SIGPIPE, SIG_IGN);
        for (;;) {
            const int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (c >= 0) std::thread(serve_client, c, mode).detach();
        }
    }
    close(fd);
    return {};
}

void open_proxy::stop() noexcept {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

}  // namespace bottle::escape::lab
