// tools/bottle-egress/relay.cpp — see relay.hpp.
#include "bottle-egress/relay.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace bottle::egress {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t pool_keep = 16;        // buffers kept for reuse; more are freed
constexpr std::size_t pipe_pool_keep = 16;   // empty pipes kept (two descriptors each)
constexpr unsigned splice_flags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

/// Moves exactly `n` bytes out of `pipe` into `to`, waiting while the socket
/// is full. False when the socket failed (the pipe may then hold bytes).
/// splice has no MSG_NOSIGNAL: a closed peer is EPIPE here only because
/// main() ignores SIGPIPE.
asio::awaitable<bool> splice_all(splice_pipe& pipe, tcp::socket& to, std::size_t n) {
    while (n > 0) {
        const ssize_t m = ::splice(pipe.read_end, nullptr, to.native_handle(), nullptr, n, splice_flags);
        if (m > 0) {
            n -= static_cast<std::size_t>(m);
            continue;
        }
        if (m < 0 && errno == EINTR) continue;
        if (m < 0 && would_block(errno)) {
            auto [wec] = co_await to.async_wait(tcp::socket::wait_write, nothrow);
            if (wec) co_return false;
            continue;
        }
        co_return false;
    }
    co_return true;
}

asio::awaitable<void> pump(tcp::socket& from, tcp::socket& to, buffer_pool& pool, relay_activity& activity,
                           std::uint64_t& count) {
    splice_pipe pipe;             // while bytes are in flight: the kernel-side path
    std::unique_ptr<char[]> buf;  // the copying path, only when no pipe could be made
    auto release = [&] {
        if (pipe) pool.release_pipe(std::move(pipe));
        if (buf) pool.release(std::move(buf));
    };
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
        if (!pipe && !buf) {
            pipe = pool.acquire_pipe();
            if (!pipe) buf = pool.acquire();
        }
        const ssize_t n = pipe ? ::splice(from.native_handle(), nullptr, pipe.write_end, nullptr, buffer_pool::buffer_bytes, splice_flags)
                               : ::recv(from.native_handle(), buf.get(), buffer_pool::buffer_bytes, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && would_block(errno)) {
            release();  // idle: hold no pipe or buffer while waiting
            drained = true;
            continue;
        }
        if (n <= 0) {  // end of stream or error: pass the end on
            boost::system::error_code ignored;
            to.shutdown(tcp::socket::shutdown_send, ignored);
            if (n < 0) from.shutdown(tcp::socket::shutdown_both, ignored), to.shutdown(tcp::socket::shutdown_both, ignored);
            break;
        }
        activity.last = std::chrono::steady_clock::now();
        const auto got = static_cast<std::size_t>(n);
        const bool sent = pipe ? co_await splice_all(pipe, to, got) : co_await write_all(to, std::string_view(buf.get(), got));
        if (!sent) {
            pipe = splice_pipe{};  // may hold bytes: closed, never pooled
            boost::system::error_code ignored;
            from.shutdown(tcp::socket::shutdown_both, ignored);
            break;
        }
        count += got;
        if (got < buffer_pool::buffer_bytes) {
            drained = true;
            release();
        }
    }
    release();
}

}  // namespace

splice_pipe::splice_pipe(splice_pipe&& o) noexcept
    : read_end(std::exchange(o.read_end, -1)), write_end(std::exchange(o.write_end, -1)) {}

splice_pipe& splice_pipe::operator=(splice_pipe&& o) noexcept {
    if (this != &o) {
        splice_pipe gone(std::move(*this));
        read_end = std::exchange(o.read_end, -1);
        write_end = std::exchange(o.write_end, -1);
    }
    return *this;
}

splice_pipe::~splice_pipe() {
    if (read_end >= 0) ::close(read_end);
    if (write_end >= 0) ::close(write_end);
}

std::unique_ptr<char[]> buffer_pool::acquire() {
    if (free_.empty()) return std::make_unique_for_overwrite<char[]>(buffer_bytes);
    auto b = std::move(free_.back());
    free_.pop_back();
    return b;
}

void buffer_pool::release(std::unique_ptr<char[]> b) {
    if (b && free_.size() < pool_keep) free_.push_back(std::move(b));
}

splice_pipe buffer_pool::acquire_pipe() {
    splice_pipe p;
    if (!free_pipes_.empty()) {
        p = std::move(free_pipes_.back());
        free_pipes_.pop_back();
        return p;
    }
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return p;  // e.g. EMFILE: the caller copies instead
    p.read_end = fds[0];
    p.write_end = fds[1];
    // One splice moves up to a buffer's worth (the default pipe holds 64 KiB);
    // if the kernel refuses the size, the smaller pipe still works.
    (void)::fcntl(p.write_end, F_SETPIPE_SZ, static_cast<int>(buffer_bytes));
    return p;
}

void buffer_pool::release_pipe(splice_pipe p) {
    int queued = 0;
    // A pipe goes back only when provably empty; anything else is closed.
    if (p && ::ioctl(p.read_end, FIONREAD, &queued) == 0 && queued == 0 && free_pipes_.size() < pipe_pool_keep)
        free_pipes_.push_back(std::move(p));
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
