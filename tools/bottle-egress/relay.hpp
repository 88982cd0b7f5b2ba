// tools/bottle-egress/relay.hpp — the byte relay of an open tunnel.
//
// Each direction picks its path by what its last read saw. Small messages (a
// request/response exchange) go through Asio's async_read_some into a 16 KiB
// buffer of that direction and a plain send: Asio reads speculatively and
// otherwise queues the read on the socket's edge-triggered registration, so
// a hop costs recv, send and epoll_wait (a readiness wait would re-arm the
// registration with an epoll_ctl each time, and a splice through a pipe costs
// two splices and the FIONREAD that proves the pipe empty). A read that fills
// that buffer means a bulk transfer: then non-blocking splice(2) moves bytes
// socket -> pipe -> socket inside the kernel (no copy through user space),
// until a read comes back small again. A direction that has never carried a
// byte holds no buffer, and a waiting bulk direction holds no pipe (pipes
// come from a small pool only while bytes are in flight), so a thousand idle
// tunnels cost a thousand pairs of sockets and little else. When no pipe can
// be had (descriptor limit) a direction keeps copying. The bytes relayed are
// the same either way; every check happened before the relay started. An end
// of stream is passed on as a half-close; an error on either side ends both
// directions.
//
// The client side is a stream socket of either family the proxy listens on
// (TCP, or a unix socket under --listen-unix); the upstream is always TCP.
// Both are Asio's reactive sockets: the same calls, the same cost.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace bottle::egress {

/// A client connection: TCP or unix stream (a tcp::socket or a
/// local::stream_protocol::socket moves into it).
using client_socket = boost::asio::generic::stream_protocol::socket;

/// An empty pipe for splicing; closes its ends.
struct splice_pipe {
    int read_end = -1;
    int write_end = -1;
    splice_pipe() = default;
    splice_pipe(splice_pipe&& o) noexcept;
    splice_pipe& operator=(splice_pipe&& o) noexcept;
    ~splice_pipe();
    explicit operator bool() const { return read_end >= 0; }
};

/// Fixed-size buffers and empty pipes reused across tunnels (one event
/// loop, no locking).
class buffer_pool {
public:
    static constexpr std::size_t buffer_bytes = 256 * 1024;
    std::unique_ptr<char[]> acquire();
    void release(std::unique_ptr<char[]> b);
    /// An empty pipe, or an empty object when none can be made.
    splice_pipe acquire_pipe();
    /// Only an empty pipe may come back; one with bytes left is closed.
    void release_pipe(splice_pipe p);

private:
    std::vector<std::unique_ptr<char[]>> free_;
    std::vector<splice_pipe> free_pipes_;
};

/// Counts bytes and marks activity (the idle timeout watches `last`).
struct relay_activity {
    std::uint64_t up = 0;    ///< client -> upstream
    std::uint64_t down = 0;  ///< upstream -> client
    std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
};

/// Relays until both directions ended (EOF passed on as shutdown) or one
/// failed (then both sockets are shut down). Never throws.
boost::asio::awaitable<void> relay(client_socket& client, boost::asio::ip::tcp::socket& upstream, buffer_pool& pool,
                                   relay_activity& activity);

/// Writes all of `bytes` to a non-blocking socket, waiting when it would
/// block. Returns false when the socket failed. Never throws.
boost::asio::awaitable<bool> write_all(boost::asio::ip::tcp::socket& to, std::string_view bytes);
boost::asio::awaitable<bool> write_all(client_socket& to, std::string_view bytes);

}  // namespace bottle::egress
