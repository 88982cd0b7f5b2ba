// src/os/fd_passing.cpp
#include "bottle/os/fd_passing.hpp"

#include "errno_error.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstring>

namespace bottle::os {

result<void> send_fds(int socket, std::span<const int> fds, std::string_view payload) {
    if (payload.empty()) return make_error(errc::invalid_argument, "send_fds: the payload must not be empty");
    if (fds.size() > max_passed_fds)
        return make_error(errc::invalid_argument,
                          "send_fds: " + std::to_string(fds.size()) + " descriptors, at most " +
                              std::to_string(max_passed_fds) + " per message");
    for (const int fd : fds)
        if (fd < 0) return make_error(errc::invalid_argument, "send_fds: negative descriptor");

    iovec iov{const_cast<char*>(payload.data()), payload.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    std::vector<char> control;
    if (!fds.empty()) {
        control.resize(CMSG_SPACE(fds.size() * sizeof(int)));
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
        std::memcpy(CMSG_DATA(c), fds.data(), fds.size() * sizeof(int));
    }
    ssize_t sent;
    do sent = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    if (sent < 0) return make_error(errc::io_error, "send_fds: sendmsg: " + detail::errno_text(errno));
    // The descriptors travel with the first byte; a short send would leave
    // the peer with a cut payload, which it cannot tell from a whole one.
    if (static_cast<std::size_t>(sent) != payload.size())
        return make_error(errc::io_error, "send_fds: short send of " + std::to_string(sent) + " of " +
                                              std::to_string(payload.size()) + " bytes");
    return {};
}

result<received_fds> receive_fds(int socket, std::size_t max_fds, std::size_t max_payload) {
    if (max_fds > max_passed_fds) max_fds = max_passed_fds;
    received_fds out;
    // One byte more than allowed, so an oversized stream message is noticed.
    out.payload.resize(max_payload + 1);
    iovec iov{out.payload.data(), out.payload.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    // Room for one descriptor more than allowed: the kernel then sets
    // MSG_CTRUNC only when even that did not fit, and the extra one tells
    // us the sender sent too many.
    std::vector<char> control(CMSG_SPACE((max_fds + 1) * sizeof(int)));
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    ssize_t got;
    do got = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    while (got < 0 && errno == EINTR);
    if (got < 0) return make_error(errc::io_error, "receive_fds: recvmsg: " + detail::errno_text(errno));

    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const std::size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < n; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            out.fds.emplace_back(fd);  // owned at once: closed on every error path below
        }
    }
    if ((msg.msg_flags & MSG_CTRUNC) != 0 || out.fds.size() > max_fds)
        return make_error(errc::limit_exceeded, "receive_fds: the peer sent more than " + std::to_string(max_fds) +
                                                    " descriptors (all closed)");
    if ((msg.msg_flags & MSG_TRUNC) != 0 || static_cast<std::size_t>(got) > max_payload)
        return make_error(errc::limit_exceeded, "receive_fds: payload larger than " + std::to_string(max_payload) +
                                                    " bytes");
    if (got == 0 && out.fds.empty()) return make_error(errc::not_found, "receive_fds: the peer closed the socket");
    out.payload.resize(static_cast<std::size_t>(got));
    return out;
}

}  // namespace bottle::os
