#include "bottle-run/backends/smolmachines/bundle.hpp"

#include "bottle/os/unique_fd.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace bottle::run::smolmachines {

result<void> process_bundle::start(const net::address_v4& alias, std::uint16_t port, const egress_routes& routes) {
    if (proxy_) return make_error(errc::invalid_argument, "bundle already started");
    // Bound here, not by bottle-egress: the failure (someone else took the
    // alias:port since allocation) is reported precisely, and the proxy
    // serves exactly this socket.
    os::unique_fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) return make_error(errc::io_error, std::string("bundle: socket: ") + std::strerror(errno));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(alias.to_uint());
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        const int e = errno;
        return make_error(e == EADDRINUSE ? errc::conflict : errc::io_error,
                          "bundle: cannot bind " + alias.to_string() + ":" + std::to_string(port) + ": " + std::strerror(e) +
                              (e == EADDRINUSE ? " (another process took it; run bottle-run gc, or stop it)" : ""));
    }
    if (::listen(s.get(), 128) != 0) return make_error(errc::io_error, std::string("bundle: listen: ") + std::strerror(errno));
    auto started = native::egress_proxy::start(binary_, s.get(), routes, log_, id_);
    if (!started) return started.error();
    proxy_.emplace(std::move(*started));
    if (auto ready = proxy_->wait_ready(); !ready) {
        proxy_->stop();
        return ready.error();
    }
    return {};
}

}  // namespace bottle::run::smolmachines
