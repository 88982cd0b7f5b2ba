// tools/bottle-preflight/unix_http.cpp — see unix_http.hpp.
#include "bottle-preflight/unix_http.hpp"

#include "bottle/os/unique_fd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace bottle::preflight::detail {

int ms_left(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 60 * 1000));
}

int wait_fd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, ms_left(deadline));
        if (n > 0) return 0;
        if (n == 0) return ETIMEDOUT;
        if (errno != EINTR) return errno;
    }
}

result<http_reply> parse_http_reply(const std::string& raw, const std::string& where) {
    if (raw.rfind("HTTP/1.", 0) != 0 || raw.size() < 12 || raw[8] != ' ')
        return make_error(errc::io_error, where + " did not answer with HTTP");
    int status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (raw[i] < '0' || raw[i] > '9') return make_error(errc::io_error, where + " sent a malformed status line");
        status = status * 10 + (raw[i] - '0');
    }
    const auto head_end = raw.find("\r\n\r\n");
    if (head_end == std::string::npos) return make_error(errc::io_error, where + " sent an incomplete reply");
    return http_reply{status, raw.substr(head_end + 4)};
}

}  // namespace bottle::preflight::detail

namespace bottle::preflight {

result<http_reply> local_unix_http_get(const std::string& socket_path, const std::string& target,
                                                            std::chrono::milliseconds timeout) {
    const std::string where = "unix://" + socket_path;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.empty() || socket_path.front() != '/' || socket_path.size() >= sizeof addr.sun_path)
        return make_error(errc::invalid_argument, "socket path '" + socket_path + "' is not an absolute path that fits sun_path");
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    const os::unique_fd owned(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!owned) return make_error(errc::io_error, "socket(AF_UNIX): " + std::string(std::strerror(errno)));
    const int fd = owned.get();
    const auto deadline = std::chrono::steady_clock::now() + timeout;

    const auto fail = [&](int e, const std::string& what) -> result<http_reply> {
        const auto code = e == ENOENT || e == ENOTDIR ? errc::not_found
                          : e == EACCES || e == EPERM ? errc::permission_denied
                          : e == ETIMEDOUT            ? errc::timeout
                                                      : errc::io_error;
        return make_error(code, what + " " + where + ": " + std::strerror(e));
    };

    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno != EINPROGRESS && errno != EAGAIN) return fail(errno, "cannot connect to");
        if (const int e = detail::wait_fd(fd, POLLOUT, deadline); e != 0) return fail(e, "cannot connect to");
        int so_error = 0;
        socklen_t len = sizeof so_error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        if (so_error != 0) return fail(so_error, "cannot connect to");
    }

    const std::string request = "GET " + target + " HTTP/1.0\r\nHost: localhost\r\nUser-Agent: bottle-preflight\r\n\r\n";
    std::size_t sent = 0;
    while (sent < request.size()) {
        const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n > 0) { sent += static_cast<std::size_t>(n); continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN) return fail(errno, "cannot send to");
        if (const int e = detail::wait_fd(fd, POLLOUT, deadline); e != 0) return fail(e, "cannot send to");
    }

    std::string raw;
    char buf[16384];
    for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            raw.append(buf, static_cast<std::size_t>(n));
            if (raw.size() > max_http_reply_bytes)
                return make_error(errc::limit_exceeded, where + " sent more than " +
                                                            std::to_string(max_http_reply_bytes) + " bytes");
            continue;
        }
        if (n == 0) break;
        if (errno == EINTR) continue;
        if (errno != EAGAIN) return fail(errno, "cannot read from");
        if (const int e = detail::wait_fd(fd, POLLIN, deadline); e != 0) return fail(e, "no complete reply from");
    }
    return detail::parse_http_reply(raw, where);
}

}  // namespace bottle::preflight
