// tools/bottle-egress/relay.hpp — the byte relay of an open tunnel.
//
// Plain non-blocking read/write on the Asio (epoll) loop: read what is
// there, write it on, and only when a socket would block wait for it. An
// idle direction holds no buffer (buffers come from a small pool only while
// bytes are in flight), so a thousand idle tunnels cost a thousand pairs of
// sockets and little else. An end of stream is passed on as a half-close;
// an error on either side ends both directions.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace bottle::egress {

/// Fixed-size buffers reused across tunnels (one event loop, no locking).
class buffer_pool {
public:
    static constexpr std::size_t buffer_bytes = 64 * 1024;
    std::unique_ptr<char[]> acquire();
    void release(std::unique_ptr<char[]> b);

private:
    std::vector<std::unique_ptr<char[]>> free_;
};

/// Counts bytes and marks activity (the idle timeout watches `last`).
struct relay_activity {
    std::uint64_t up = 0;    ///< client -> upstream
    std::uint64_t down = 0;  ///< upstream -> client
    std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
};

/// Relays until both directions ended (EOF passed on as shutdown) or one
/// failed (then both sockets are shut down). Never throws.
boost::asio::awaitable<void> relay(boost::asio::ip::tcp::socket& client, boost::asio::ip::tcp::socket& upstream,
                                   buffer_pool& pool, relay_activity& activity);

/// Writes all of `bytes` to a non-blocking socket, waiting when it would
/// block. Returns false when the socket failed. Never throws.
boost::asio::awaitable<bool> write_all(boost::asio::ip::tcp::socket& to, std::string_view bytes);

}  // namespace bottle::egress
