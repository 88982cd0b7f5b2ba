#include "net.hpp"

#include "../../lab/lab_plan.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace bottle::escape::probe::support {

std::string errno_name(int err) {
#define BBX_ERRNO(E) \
    case E: return #E;
    switch (err) {
        BBX_ERRNO(EPERM) BBX_ERRNO(ENOENT) BBX_ERRNO(ESRCH) BBX_ERRNO(EINTR) BBX_ERRNO(EIO) BBX_ERRNO(ENXIO)
        BBX_ERRNO(E2BIG) BBX_ERRNO(ENOEXEC) BBX_ERRNO(EBADF) BBX_ERRNO(ECHILD) BBX_ERRNO(EAGAIN) BBX_ERRNO(ENOMEM)
        BBX_ERRNO(EACCES) BBX_ERRNO(EFAULT) BBX_ERRNO(EBUSY) BBX_ERRNO(EEXIST) BBX_ERRNO(EXDEV) BBX_ERRNO(ENODEV)
        BBX_ERRNO(ENOTDIR) BBX_ERRNO(EISDIR) BBX_ERRNO(EINVAL) BBX_ERRNO(ENFILE) BBX_ERRNO(EMFILE) BBX_ERRNO(ENOTTY)
        BBX_ERRNO(ETXTBSY) BBX_ERRNO(EFBIG) BBX_ERRNO(ENOSPC) BBX_ERRNO(ESPIPE) BBX_ERRNO(EROFS) BBX_ERRNO(EMLINK)
        BBX_ERRNO(EPIPE) BBX_ERRNO(ERANGE) BBX_ERRNO(EDEADLK) BBX_ERRNO(ENAMETOOLONG) BBX_ERRNO(ENOSYS)
        BBX_ERRNO(ENOTEMPTY) BBX_ERRNO(ELOOP) BBX_ERRNO(ENOMSG) BBX_ERRNO(EIDRM) BBX_ERRNO(ENODATA)
        BBX_ERRNO(ENOTSOCK) BBX_ERRNO(EDESTADDRREQ) BBX_ERRNO(EMSGSIZE) BBX_ERRNO(EPROTOTYPE)
        BBX_ERRNO(ENOPROTOOPT) BBX_ERRNO(EPROTONOSUPPORT) BBX_ERRNO(ESOCKTNOSUPPORT) BBX_ERRNO(EOPNOTSUPP)
        BBX_ERRNO(EPFNOSUPPORT) BBX_ERRNO(EAFNOSUPPORT) BBX_ERRNO(EADDRINUSE) BBX_ERRNO(EADDRNOTAVAIL)
        BBX_ERRNO(ENETDOWN) BBX_ERRNO(ENETUNREACH) BBX_ERRNO(ENETRESET) BBX_ERRNO(ECONNABORTED)
        BBX_ERRNO(ECONNRESET) BBX_ERRNO(ENOBUFS) BBX_ERRNO(EISCONN) BBX_ERRNO(ENOTCONN) BBX_ERRNO(ETIMEDOUT)
        BBX_ERRNO(ECONNREFUSED) BBX_ERRNO(EHOSTDOWN) BBX_ERRNO(EHOSTUNREACH) BBX_ERRNO(EALREADY)
        BBX_ERRNO(EINPROGRESS) BBX_ERRNO(ENOKEY) BBX_ERRNO(EKEYREJECTED) BBX_ERRNO(EOWNERDEAD)
        default: return "errno " + std::to_string(err);
    }
#undef BBX_ERRNO
}

namespace {

struct fd_guard {
    int fd = -1;
    ~fd_guard() {
        if (fd >= 0) close(fd);
    }
};

bool make_sockaddr(std::string_view ip, std::uint16_t port, sockaddr_storage& ss, socklen_t& len, int& family) {
    const std::string text(ip);
    std::memset(&ss, 0, sizeof ss);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        len = sizeof(sockaddr_in);
        family = AF_INET;
        return true;
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        len = sizeof(sockaddr_in6);
        family = AF_INET6;
        return true;
    }
    return false;
}

// Connects `fd` (non-blocking) with a deadline; returns 0 or an errno.
int connect_with_timeout(int fd, const sockaddr* addr, socklen_t len, int timeout_ms) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (connect(fd, addr, len) == 0) return 0;
    if (errno != EINPROGRESS) return errno;
    pollfd p{fd, POLLOUT, 0};
    const int r = poll(&p, 1, timeout_ms);
    if (r == 0) return ETIMEDOUT;
    if (r < 0) return errno;
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
    return err;
}

// Sends all of payload then reads until close/timeout; fills r.
void send_and_read(int fd, std::string_view payload, int timeout_ms, exchange_result& r) {
    std::size_t off = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    auto left_ms = [&] {
        return static_cast<int>(std::max<long long>(
            0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count()));
    };
    while (off < payload.size()) {
        const ssize_t n = send(fd, payload.data() + off, payload.size() - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            pollfd p{fd, POLLOUT, 0};
            if (poll(&p, 1, left_ms()) <= 0) break;
            continue;
        }
        r.outcome = "connected, send failed: " + errno_name(errno);
        return;
    }
    r.sent = off == payload.size();
    while (r.reply.size() < 16 * 1024) {
        pollfd p{fd, POLLIN, 0};
        const int t = left_ms();
        if (t == 0 || poll(&p, 1, t) <= 0) break;
        char buf[4096];
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        r.reply.append(buf, static_cast<std::size_t>(n));
    }
    r.outcome = "connected, sent " + std::to_string(off) + " bytes, " + std::to_string(r.reply.size()) + " bytes back";
}

// The shared start of every inet exchange: refuse non-lab targets, build the
// address, open the socket. Returns the fd, or -1 with r.outcome saying why.
int open_lab_socket(std::string_view ip, std::uint16_t port, int type, sockaddr_storage& ss, socklen_t& len,
                    exchange_result& r) {
    if (!lab::is_lab_target(ip)) {
        r.refused_target = true;
        r.outcome = "not a lab address: not attempted";
        return -1;
    }
    int family = 0;
    if (!make_sockaddr(ip, port, ss, len, family)) {
        r.outcome = "bad address";
        return -1;
    }
    r.made = true;
    const int fd = socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) r.outcome = "socket: " + errno_name(errno);
    return fd;
}

}  // namespace

exchange_result tcp_exchange(std::string_view ip, std::uint16_t port, std::string_view payload, int timeout_ms) {
    exchange_result r;
    sockaddr_storage ss;
    socklen_t len = 0;
    fd_guard s{open_lab_socket(ip, port, SOCK_STREAM, ss, len, r)};
    if (s.fd < 0) return r;
    if (const int err = connect_with_timeout(s.fd, reinterpret_cast<sockaddr*>(&ss), len, timeout_ms); err != 0) {
        r.outcome = errno_name(err);
        return r;
    }
    r.connected = true;
    send_and_read(s.fd, payload, timeout_ms, r);
    return r;
}

exchange_result udp_exchange(std::string_view ip, std::uint16_t port, std::string_view payload, int timeout_ms) {
    exchange_result r;
    sockaddr_storage ss;
    socklen_t len = 0;
    fd_guard s{open_lab_socket(ip, port, SOCK_DGRAM, ss, len, r)};
    if (s.fd < 0) return r;
    if (sendto(s.fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
        r.outcome = "sendto: " + errno_name(errno);
        return r;
    }
    r.sent = true;
    pollfd p{s.fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) > 0) {
        char buf[4096];
        const ssize_t n = recv(s.fd, buf, sizeof buf, 0);
        if (n > 0) r.reply.assign(buf, static_cast<std::size_t>(n));
    }
    r.outcome = "sent " + std::to_string(payload.size()) + " bytes, " + std::to_string(r.reply.size()) + " bytes back";
    return r;
}

exchange_result unix_exchange(std::string_view path, std::string_view payload, int timeout_ms) {
    exchange_result r;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    socklen_t len = 0;
    if (path.size() >= sizeof(addr.sun_path)) {
        r.outcome = "path too long";
        return r;
    }
    if (!path.empty() && path[0] == '@') {
        addr.sun_path[0] = '\0';
        std::memcpy(addr.sun_path + 1, path.data() + 1, path.size() - 1);
        len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    } else {
        std::memcpy(addr.sun_path, path.data(), path.size());
        len = static_cast<socklen_t>(sizeof(addr));
    }
    r.made = true;
    fd_guard s{socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    if (s.fd < 0) {
        r.outcome = "socket: " + errno_name(errno);
        return r;
    }
    if (const int err = connect_with_timeout(s.fd, reinterpret_cast<sockaddr*>(&addr), len, timeout_ms); err != 0) {
        r.outcome = errno_name(err);
        return r;
    }
    r.connected = true;
    send_and_read(s.fd, payload, timeout_ms, r);
    return r;
}

file_read read_file(const std::string& path, std::size_t cap) {
    file_read r;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        r.err = errno;
        return r;
    }
    char buf[8192];
    for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            r.err = errno;
            close(fd);
            return r;
        }
        if (n == 0) break;
        r.data.append(buf, static_cast<std::size_t>(n));
        if (r.data.size() >= cap) {
            r.data.resize(cap);
            break;
        }
    }
    close(fd);
    r.ok = true;
    return r;
}

std::string describe(const file_read& r) { return r.ok ? "read " + std::to_string(r.data.size()) + " bytes" : errno_name(r.err); }

}  // namespace bottle::escape::probe::support
