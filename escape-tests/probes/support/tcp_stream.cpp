#include "tcp_stream.hpp"

#include "../../lab/lab_plan.hpp"
#include "net.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>

namespace bottle::escape::probe::support {


tcp_stream::~tcp_stream() {
    if (fd_ >= 0) close(fd_);
}

bool tcp_stream::open(std::string_view ip_text, std::uint16_t port, int timeout_ms) {
    std::string ip(ip_text), scope;
    if (const auto pct = ip.find('%'); pct != std::string::npos) {
        scope = ip.substr(pct + 1);
        ip.resize(pct);
    }
    if (!lab::is_lab_target(ip)) {
        error_ = "not a lab address: not attempted";
        return false;
    }
    sockaddr_storage ss{};
    socklen_t len = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        if (!scope.empty()) v6->sin6_scope_id = if_nametoindex(scope.c_str());
        len = sizeof *v6;
    } else {
        error_ = "bad address '" + ip + "'";
        return false;
    }
    attempted_ = true;
    fd_ = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) {
        error_ = "socket: " + errno_name(errno);
        return false;
    }
    int err = 0;
    if (connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        err = errno;
        if (err == EINPROGRESS) {
            pollfd p{fd_, POLLOUT, 0};
            const int r = poll(&p, 1, timeout_ms);
            if (r == 0) err = ETIMEDOUT;
            else if (r < 0) err = errno;
            else {
                socklen_t el = sizeof err;
                getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &el);
            }
        }
    }
    if (err != 0) {
        error_ = errno_name(err);
        close(fd_);
        fd_ = -1;
        return false;
    }
    return true;
}

bool tcp_stream::send_all(std::string_view data, int timeout_ms) {
    const auto deadline = clock_type::now() + std::chrono::milliseconds(timeout_ms);
    std::size_t off = 0;
    while (off < data.size()) {
        const ssize_t n = send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            pollfd p{fd_, POLLOUT, 0};
            if (poll(&p, 1, ms_left(deadline)) <= 0) {
                error_ = "send timed out";
                return false;
            }
            continue;
        }
        error_ = "send: " + errno_name(errno);
        return false;
    }
    return true;
}

std::string tcp_stream::read(int timeout_ms, std::string_view stop, std::size_t cap) {
    std::string got;
    const auto deadline = clock_type::now() + std::chrono::milliseconds(timeout_ms);
    while (!eof_ && got.size() < cap) {
        if (!stop.empty() && got.find(stop) != std::string::npos) break;
        pollfd p{fd_, POLLIN, 0};
        const int t = ms_left(deadline);
        if (t == 0 || poll(&p, 1, t) <= 0) break;
        char buf[4096];
        const ssize_t n = recv(fd_, buf, std::min(sizeof buf, cap - got.size()), 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n < 0) error_ = "recv: " + errno_name(errno);
        if (n <= 0) {
            eof_ = true;
            break;
        }
        got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
}

http_status parse_status(std::string_view head) {
    http_status s;
    const auto eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol == std::string_view::npos ? std::min<std::size_t>(head.size(), 200) : eol);
    if (line.rfind("HTTP/", 0) != 0) return s;
    const auto sp = line.find(' ');
    if (sp == std::string_view::npos || sp + 4 > line.size()) return s;
    const std::string code(line.substr(sp + 1, 3));
    if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) return s;
    s.valid = true;
    s.code = std::atoi(code.c_str());
    s.line = std::string(line);
    return s;
}

}  // namespace bottle::escape::probe::support
