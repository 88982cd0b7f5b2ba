// tools/bottle-egress/server.hpp — the listeners and the process of the proxy.
//
// One io_context (epoll), one thread. `server` binds --listen addresses,
// adopts --listen-fd sockets (which must be listening TCP sockets) and
// creates --listen-unix sockets, accepts connections up to the connection
// limit, and starts a session for each: a unix client is served exactly as
// a TCP one. A unix socket file it created is removed again when it stops
// (only if the path still names that socket; it never unlinks anything
// else, and refuses a PATH that already exists).
// `run_proxy` is the whole tool after argument parsing: open the log and
// resolver, open listeners, print the ready line, serve until SIGTERM or
// SIGINT, then close everything and return.
#pragma once

#include "bottle-egress/decision_log.hpp"
#include "bottle-egress/options.hpp"
#include "bottle-egress/resolver.hpp"
#include "bottle-egress/session.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <ostream>
#include <vector>

namespace bottle::egress {

/// "1.2.3.4:5" or "[2001:db8::1]:5".
[[nodiscard]] std::string endpoint_text(const boost::asio::ip::tcp::endpoint& ep);

/// Every address of this host's interfaces (getifaddrs), for the deny floor.
[[nodiscard]] result<std::vector<net::address>> host_addresses();

class server {
public:
    server(boost::asio::io_context& io, const config& cfg, decision_log& log, resolver& dns);
    ~server();

    /// Binds, adopts or creates every listener. Errors: io_error naming the
    /// listener (for --listen-unix, also when PATH exists).
    [[nodiscard]] result<void> open();
    /// The local endpoints of the TCP listeners, in command-line order.
    [[nodiscard]] const std::vector<boost::asio::ip::tcp::endpoint>& endpoints() const noexcept { return ctx_.listeners; }
    /// The paths of the unix listeners, in command-line order.
    [[nodiscard]] const std::vector<std::string>& unix_paths() const noexcept { return ctx_.cfg.listen_unix; }
    void start();
    /// Stops accepting, removes the unix socket files it created, and closes
    /// every session.
    void stop();
    [[nodiscard]] std::size_t sessions() const noexcept { return ctx_.sessions.size(); }

private:
    /// A socket file this server created: removed only while `path` still
    /// names this inode.
    struct created_socket {
        std::string path;
        dev_t device = 0;
        ino_t inode = 0;
    };
    [[nodiscard]] result<void> open_unix(const std::string& path);
    template <class Acceptor>
    boost::asio::awaitable<void> accept_loop(Acceptor& acceptor);

    boost::asio::io_context& io_;
    proxy_context ctx_;
    std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
    std::vector<std::unique_ptr<boost::asio::local::stream_protocol::acceptor>> unix_acceptors_;
    std::vector<created_socket> created_;
};

/// Runs `io` until it is stopped or out of work. With a positive
/// `busy_poll` window it polls without blocking for that long after the last
/// handler ran before it blocks in epoll_wait again.
void run_event_loop(boost::asio::io_context& io, std::chrono::microseconds busy_poll);

/// Runs the proxy until SIGTERM/SIGINT. The ready line goes to `out`,
/// errors to `err`. Returns the exit status (options.hpp).
[[nodiscard]] int run_proxy(const config& cfg, std::ostream& out, std::ostream& err);

}  // namespace bottle::egress
