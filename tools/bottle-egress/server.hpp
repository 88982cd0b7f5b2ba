// tools/bottle-egress/server.hpp — the listeners and the process of the proxy.
//
// One io_context (epoll), one thread. `server` binds --listen addresses or
// adopts --listen-fd sockets (which must be listening TCP sockets), accepts
// connections up to the connection limit, and starts a session for each.
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

    /// Binds or adopts every listener. Errors: io_error naming the listener.
    [[nodiscard]] result<void> open();
    /// The local endpoints of the listeners, in command-line order.
    [[nodiscard]] const std::vector<boost::asio::ip::tcp::endpoint>& endpoints() const noexcept { return ctx_.listeners; }
    void start();
    /// Stops accepting and closes every session.
    void stop();
    [[nodiscard]] std::size_t sessions() const noexcept { return ctx_.sessions.size(); }

private:
    boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor);

    boost::asio::io_context& io_;
    proxy_context ctx_;
    std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
};

/// Runs `io` until it is stopped or out of work. With a positive
/// `busy_poll` window it polls without blocking for that long after the last
/// handler ran before it blocks in epoll_wait again.
void run_event_loop(boost::asio::io_context& io, std::chrono::microseconds busy_poll);

/// Runs the proxy until SIGTERM/SIGINT. The ready line goes to `out`,
/// errors to `err`. Returns the exit status (options.hpp).
[[nodiscard]] int run_proxy(const config& cfg, std::ostream& out, std::ostream& err);

}  // namespace bottle::egress
