// The network namespace: only `lo`, brought up by the child; the proxy's
// listener is made here so it belongs to the bottle's namespace for life.
#include "bottle-run/backends/native/steps.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bottle::run::native {

result<void> bring_up_loopback() {
    os::unique_fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!s) return make_error(errc::io_error, std::string("net: socket: ") + std::strerror(errno));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) return make_error(errc::io_error, std::string("net: lo flags: ") + std::strerror(errno));
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) return make_error(errc::permission_denied, std::string("net: bring lo up: ") + std::strerror(errno));
    return {};
}

result<os::unique_fd> make_proxy_listener(std::uint16_t& port) {
    os::unique_fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) return make_error(errc::io_error, std::string("net: listener socket: ") + std::strerror(errno));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s.get(), 128) != 0)
        return make_error(errc::io_error, std::string("net: listen on the bottle's 127.0.0.1: ") + std::strerror(errno));
    socklen_t len = sizeof a;
    if (::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
        return make_error(errc::io_error, std::string("net: getsockname: ") + std::strerror(errno));
    port = ntohs(a.sin_port);
    return s;
}

}  // namespace bottle::run::native
