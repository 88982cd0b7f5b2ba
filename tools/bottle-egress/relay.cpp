// tools/bottle-egress/relay.cpp — see relay.hpp.
#include "bottle-egress/relay.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace bottle::egress {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t pool_keep = 64;  // buffers kept for reuse; more are freed

asio::awaitable<void> pump(tcp::socket& from, tcp::socket& to, buffer_pool& pool, relay_activity& activity,
                           std::uint64_t& count) {
    std::unique_ptr<char[]> buf;
    // A short read means the socket was drained: wait for readiness at once
    // instead of paying a read that would only say EAGAIN (a request/response
    // exchange then costs one syscall less per hop). After a full read, read
    // again speculatively: in a bulk transfer more data is usually there.
    bool drained = false;
    for (;;) {
        if (drained) {
            drained = false;
            auto [wec] = co_await from.async_wait(tcp::socket::wait_read, nothrow);
            if (wec) break;
        }
        if (!buf) buf = pool.acquire();
        boost::system::error_code ec;
        const std::size_t n = from.read_some(asio::buffer(buf.get(), buffer_pool::buffer_bytes), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            pool.release(std::move(buf));  // idle: hold no buffer while waiting
            drained = true;
            continue;
        }
        if (ec) {  // EOF or error: pass the end on
            boost::system::error_code ignored;
            to.shutdown(tcp::socket::shutdown_send, ignored);
            if (ec != asio::error::eof) from.shutdown(tcp::socket::shutdown_both, ignored), to.shutdown(tcp::socket::shutdown_both, ignored);
            break;
        }
        activity.last = std::chrono::steady_clock::now();
        if (!co_await write_all(to, std::string_view(buf.get(), n))) {
            boost::system::error_code ignored;
            from.shutdown(tcp::socket::shutdown_both, ignored);
            break;
        }
        count += n;
        if (n < buffer_pool::buffer_bytes) {
            drained = true;
            pool.release(std::move(buf));
        }
    }
    if (buf) pool.release(std::move(buf));
}

}  // namespace

std::unique_ptr<char[]> buffer_pool::acquire() {
    if (free_.empty()) return std::make_unique_for_overwrite<char[]>(buffer_bytes);
    auto b = std::move(free_.back());
    free_.pop_back();
    return b;
}

void buffer_pool::release(std::unique_ptr<char[]> b) {
    if (b && free_.size() < pool_keep) free_.push_back(std::move(b));
}

asio::awaitable<bool> write_all(tcp::socket& to, std::string_view bytes) {
    while (!bytes.empty()) {
        boost::system::error_code ec;
        const std::size_t n = to.write_some(asio::buffer(bytes.data(), bytes.size()), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            auto [wec] = co_await to.async_wait(tcp::socket::wait_write, nothrow);
            if (wec) co_return false;
            continue;
        }
        if (ec) co_return false;
        bytes.remove_prefix(n);
    }
    co_return true;
}

asio::awaitable<void> relay(tcp::socket& client, tcp::socket& upstream, buffer_pool& pool, relay_activity& activity) {
    using namespace asio::experimental::awaitable_operators;
    boost::system::error_code ignored;
    client.non_blocking(true, ignored);
    upstream.non_blocking(true, ignored);
    co_await (pump(client, upstream, pool, activity, activity.up) && pump(upstream, client, pool, activity, activity.down));
}

}  // namespace bottle::egress
