// tools/bottle-run/agent_start/tcp_forwarder.cpp — see tcp_forwarder.hpp.
// One thread per connection, each a poll loop over its two sockets (both
// non-blocking): a direction reads only when its buffer is empty and writes
// until it is, so a slow reader holds back only its own direction.
#include "tcp_forwarder.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>

namespace bottle::agent_start {

std::optional<forward_spec> parse_forward_spec(std::string_view text, std::string& why) {
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) {
        why = "no '=' between ADDR:PORT and SOCKET_PATH";
        return std::nullopt;
    }
    const std::string_view address = text.substr(0, equals);
    const std::string_view path = text.substr(equals + 1);
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) {
        why = "no ':' between the address and the port";
        return std::nullopt;
    }
    forward_spec spec;
    spec.address.sin_family = AF_INET;
    const std::string host(address.substr(0, colon));
    if (::inet_pton(AF_INET, host.c_str(), &spec.address.sin_addr) != 1) {
        why = "'" + host + "' is not an IPv4 address in dotted decimal (such as 127.0.0.1)";
        return std::nullopt;
    }
    const std::string_view port_text = address.substr(colon + 1);
    unsigned port = 0;
    const bool digits = !port_text.empty() && port_text.size() <= 5 && port_text[0] != '0' &&
                        std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits)
        for (char c : port_text) port = port * 10 + static_cast<unsigned>(c - '0');
    if (!digits || port > 65535) {
        why = "'" + std::string(port_text) + "' is not a port (1 to 65535)";
        return std::nullopt;
    }
    spec.address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (path.empty() || path[0] != '/' || path.find('\0') != std::string_view::npos) {
        why = "the socket path must be absolute";
        return std::nullopt;
    }
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
        why = "the socket path is longer than a unix socket address holds (" + std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes)";
        return std::nullopt;
    }
    spec.address_text = std::string(address);
    spec.socket_path = std::string(path);
    return spec;
}

int listen_for_forward(const forward_spec& spec) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && fd <= 2) {  // a std descriptor was closed: keep clear of them (the relay replaces them)
        const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
        ::close(fd);
        fd = moved;
    }
    if (fd < 0) return -1;
    const int on = 1;
    // A port in TIME_WAIT may be reused; one that something listens on may not.
    (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&spec.address), sizeof spec.address) != 0 || ::listen(fd, SOMAXCONN) != 0) {
        const int e = errno;
        ::close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

namespace {

constexpr int forward_connection_cap = 1024;
constexpr std::size_t forward_buffer_size = 32 * 1024;
constexpr std::size_t forward_thread_stack = 64 * 1024;

/// Bytes on their way from one socket to the other.
struct forward_direction {
    int from = -1;
    int to = -1;
    std::size_t length = 0;  ///< bytes in buffer; read again only once all are written
    std::size_t offset = 0;  ///< how many of them are written
    bool done = false;       ///< end of file read and passed on
    char buffer[forward_buffer_size];
};

struct forward_connection {
    int client = -1;
    const std::string* socket_path = nullptr;
    std::atomic<int>* active = nullptr;
    forward_direction up;    ///< client -> socket
    forward_direction down;  ///< socket -> client
};

/// One read or one write, whichever the direction is waiting for. False on
/// an error of either socket (the connection is then dropped).
bool forward_step(forward_direction& d) {
    if (d.length == 0) {
        const ssize_t n = ::recv(d.from, d.buffer, sizeof d.buffer, 0);
        if (n == 0) {
            (void)::shutdown(d.to, SHUT_WR);
            d.done = true;
            return true;
        }
        if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        d.length = static_cast<std::size_t>(n);
        d.offset = 0;
    }
    const ssize_t n = ::send(d.to, d.buffer + d.offset, d.length - d.offset, MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    d.offset += static_cast<std::size_t>(n);
    if (d.offset == d.length) d.length = 0;
    return true;
}

void forward_copy_both_ways(forward_connection& c) {
    forward_direction* directions[] = {&c.up, &c.down};
    while (!c.up.done || !c.down.done) {
        pollfd fds[2];
        nfds_t n = 0;
        for (forward_direction* d : directions)
            if (!d->done) fds[n++] = d->length == 0 ? pollfd{d->from, POLLIN, 0} : pollfd{d->to, POLLOUT, 0};
        if (::poll(fds, n, -1) < 0 && errno != EINTR) return;
        for (forward_direction* d : directions)
            if (!d->done && !forward_step(*d)) return;
    }
}

int forward_connect(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.data(), path.size());  // parse_forward_spec bounded it
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

void* forward_serve(void* arg) {
    std::unique_ptr<forward_connection> c(static_cast<forward_connection*>(arg));
    const int server = forward_connect(*c->socket_path);
    if (server >= 0) {
        c->up.from = c->down.to = c->client;
        c->up.to = c->down.from = server;
        forward_copy_both_ways(*c);
        ::close(server);
    }
    ::close(c->client);
    c->active->fetch_sub(1);
    return nullptr;
}

/// As many connections as the descriptor limit allows (two descriptors
/// each), at most forward_connection_cap. The soft limit is raised to the
/// hard one first: it bounds the relay only, never the agent.
int forward_cap() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 64;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &limit);
        (void)::getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur == RLIM_INFINITY) return forward_connection_cap;
    const rlim_t spare = limit.rlim_cur > 16 ? (limit.rlim_cur - 16) / 2 : 1;
    return static_cast<int>(std::min<rlim_t>(spare, forward_connection_cap));
}

/// Closes every descriptor above stderr but `keep`: whatever the agent's
/// parent passed down stays the agent's, never held open by the relay.
void forward_close_all_but(int keep) {
    const auto from = static_cast<unsigned>(keep) + 1;
    if ((keep <= 3 || ::close_range(3, static_cast<unsigned>(keep) - 1, 0) == 0) && ::close_range(from, ~0U, 0) == 0) return;
    rlimit limit{};  // a kernel before 5.9: one by one, up to the limit
    const int last = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536 ? static_cast<int>(limit.rlim_cur) : 65536;
    for (int fd = 3; fd < last; ++fd)
        if (fd != keep) (void)::close(fd);
}

/// The relay process: detached from the agent's session, streams and
/// descriptors, then accepting until the container ends.
[[noreturn]] void forward_relay(int listener, const std::string& socket_path) {
    (void)::setsid();
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int std_fd = 0; std_fd <= 2; ++std_fd) {
        if (null >= 0) (void)::dup2(null, std_fd);
        else (void)::close(std_fd);
    }
    forward_close_all_but(listener);
    (void)::prctl(PR_SET_NAME, "bottle-forward", 0, 0, 0);
    (void)::signal(SIGPIPE, SIG_IGN);
    const int cap = forward_cap();
    std::atomic<int> active{0};
    pthread_attr_t attributes;
    ::pthread_attr_init(&attributes);
    ::pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    ::pthread_attr_setstacksize(&attributes, forward_thread_stack);
    while (true) {
        const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (client < 0) {
            if (errno == EBADF || errno == EINVAL || errno == ENOTSOCK || errno == EFAULT) ::_exit(1);
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                const timespec pause{0, 50'000'000};  // until a connection ends
                ::nanosleep(&pause, nullptr);
            }
            continue;  // EINTR, ECONNABORTED, and the network errors accept(2) says to retry
        }
        if (active.load() >= cap) {
            ::close(client);
            continue;
        }
        auto* c = new (std::nothrow) forward_connection;
        if (c == nullptr) {
            ::close(client);
            continue;
        }
        c->client = client;
        c->socket_path = &socket_path;
        c->active = &active;
        active.fetch_add(1);
        pthread_t thread;
        if (::pthread_create(&thread, &attributes, forward_serve, c) != 0) {
            active.fetch_sub(1);
            ::close(client);
            delete c;
        }
    }
}

}  // namespace

bool start_forward_relay(int listener, const std::string& socket_path) {
    const pid_t middle = ::fork();
    if (middle < 0) return false;
    if (middle == 0) {
        const pid_t relay = ::fork();
        if (relay == 0) forward_relay(listener, socket_path);
        ::_exit(relay < 0 ? 1 : 0);
    }
    int status = 0;
    while (::waitpid(middle, &status, 0) < 0)
        if (errno != EINTR) return false;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
    errno = EAGAIN;  // the middle child's fork failed
    return false;
}

}  // namespace bottle::agent_start
