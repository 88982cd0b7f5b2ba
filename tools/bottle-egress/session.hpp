// tools/bottle-egress/session.hpp — one client connection of the proxy.
//
// A session is a small state machine, written as one coroutine per
// connection on the proxy's single event loop:
//   read head -> decide (policy, before any DNS) -> resolve -> deny floor on
//   every answer -> connect to a vetted address (never a second lookup) ->
//   CONNECT: 200, then the ClientHello's SNI must be the CONNECT host ->
//   relay;  absolute-URI HTTP: forward one request, relay its response, and
//   decide the next request on the connection on its own.
// The policy (bottle::policy) makes every decision; this file only moves
// bytes and keeps time. A watchdog closes the session when the phase's
// deadline passes (head, ClientHello, connect, idle). The client is a TCP
// or a unix stream connection (--listen-unix); both are served alike.
#pragma once

#include "bottle-egress/decision_log.hpp"
#include "bottle-egress/http_head.hpp"
#include "bottle-egress/options.hpp"
#include "bottle-egress/relay.hpp"
#include "bottle-egress/resolver.hpp"
#include "bottle/policy/egress_policy.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bottle::egress {

class session;

/// What every session of one proxy shares.
struct proxy_context {
    const config& cfg;
    policy::floor_options floor;
    resolver& dns;
    decision_log& log;
    std::vector<boost::asio::ip::tcp::endpoint> listeners;  ///< the proxy's own (for loop refusal)
    buffer_pool pool;
    std::set<session*> sessions;
    std::size_t tunnels = 0;
    bool stopping = false;
};

class session : public std::enable_shared_from_this<session> {
public:
    /// `client_name` is what the decision log calls the client
    /// ("ADDR:PORT", or "unix:PATH" for a connection to a unix listener).
    session(proxy_context& ctx, client_socket client, std::string client_name);
    ~session();
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    /// Starts serving; the session keeps itself alive until it ends.
    void start();
    /// Closes both sockets; the coroutine unwinds and logs.
    void close();

private:
    using clock = std::chrono::steady_clock;
    /// What the watchdog's deadline means.
    enum class phase {
        fixed,      ///< a hard deadline (request head, ClientHello)
        idle_wait,  ///< a kept-alive connection waiting for its next request
        connect,    ///< resolving and dialing: on expiry only the dial is abandoned
        idle,       ///< relaying: the deadline moves with every byte
    };
    void set_phase(std::chrono::milliseconds limit, std::string reason, phase p = phase::fixed);
    [[nodiscard]] bool is_own_listener(const net::address& a, std::uint16_t port) const;

    boost::asio::awaitable<void> serve();
    boost::asio::awaitable<void> watchdog();
    /// The next request head; nullopt when the connection should end (the
    /// answer, if any, was sent and logged).
    boost::asio::awaitable<std::optional<request_head>> read_request_head();
    boost::asio::awaitable<void> tunnel(const request_head& head);
    /// Forwards one absolute-URI request and its response (http_forward.cpp).
    /// Returns true when the client connection may carry another request.
    boost::asio::awaitable<bool> forward(const request_head& head);
    boost::asio::awaitable<bool> send_request_body(const request_head& head);
    boost::asio::awaitable<bool> relay_response(const request_head& head, bool websocket, bool& keep, bool& upgraded);
    /// Resolves (unless the decision carries a literal route's address),
    /// checks the floor, refuses loops, connects. On failure answers the
    /// client, logs, and returns false.
    boost::asio::awaitable<bool> vet_and_connect(const policy::decision& d, std::uint16_t port);
    /// Reads more bytes from `from` (client_ or upstream_) into `into` (up
    /// to a read's worth). False at end of stream or on error.
    template <class Socket>
    boost::asio::awaitable<bool> read_more(Socket& from, std::string& into);

    /// Answers with a short error response and logs the decision.
    boost::asio::awaitable<void> refuse(int status, std::string reason, verdict v = verdict::deny);
    void finish(verdict v, std::string reason);
    void start_record(const request_head& head);

    proxy_context& ctx_;
    client_socket client_;
    boost::asio::ip::tcp::socket upstream_;
    boost::asio::steady_timer timer_;
    clock::time_point deadline_ = clock::time_point::max();
    clock::time_point started_ = clock::now();
    phase phase_ = phase::fixed;
    bool closed_ = false;
    bool timed_out_ = false;      ///< the watchdog's deadline passed in this request
    std::string timeout_reason_;  ///< what the watchdog was waiting for
    std::string client_text_;
    std::string cbuf_;  ///< bytes read from the client, not yet used
    std::string ubuf_;  ///< bytes read from the upstream, not yet used
    std::string upstream_key_;  ///< "host:port" the open upstream serves (HTTP reuse)
    bool reused_upstream_ = false;  ///< the current request went out on a kept-alive upstream connection
    relay_activity activity_;
    decision_record record_;
    bool logged_ = true;  ///< the current record was written (or there is none)
    bool counted_tunnel_ = false;
    std::string permit_note_;  ///< "; <addr> permitted by --permit <cidr>" when a permit let the dial through
};

/// Headers of a short error response: status, reason header, close.
[[nodiscard]] std::string error_response(int status, std::string_view reason);

/// `text` with every byte outside printable ASCII replaced by '?', at most 200 bytes.
[[nodiscard]] std::string header_safe(std::string_view text);

}  // namespace bottle::egress
