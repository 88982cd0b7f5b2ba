// tools/bottle-egress/relay.cpp — see relay.hpp.
#include "bottle-egress/relay.hpp"
#include "bottle-egress/awaitable.hpp"

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

constexpr std::size_t pool_keep = 16;        // buffers kept for reuse; more are freed
constexpr std::size_t pipe_pool_keep = 16;   // empty pipes kept (two descriptors each)
constexpr unsigned splice_flags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
constexpr std::size_t copy_bytes = 16 * 1024;  // a small-path read this full switches a direction to splice

bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

/// Moves exactly `n` bytes out of `pipe` into `to`, waiting while the socket
/// is full. False when the socket failed (the pipe may then hold bytes).
/// splice has no MSG_NOSIGNAL: a closed peer is EPIPE here only because
/// main() ignores SIGPIPE.
template <class Socket>
asio::awaitable<bool> splice_all(splice_pipe& pipe, Socket& to, std::size_t n) {
    while (n > 0) {
        const ssize_t m = ::splice(pipe.read_end, nullptr, to.native_handle(), nullptr, n, splice_flags);
        if (m > 0) {
            n -= static_cast<std::size_t>(m);
            continue;
        }
        if (m < 0 && errno == EINTR) continue;
        if (m < 0 && would_block(errno)) {
            auto [wec] = co_await to.async_wait(Socket::wait_write, nothrow);
            if (wec) co_return false;
            continue;
        }
        co_return false;
    }
    co_return true;
}

/// The end of one direction: passes an end of stream on as a half-close;
/// after an error shuts both sockets down so the other direction ends too.
template <class From, class To>
void end_direction(From& from, To& to, bool failed) {
    boost::system::error_code ignored;
    to.shutdown(asio::socket_base::shutdown_send, ignored);
    if (failed) from.shutdown(asio::socket_base::shutdown_both, ignored), to.shutdown(asio::socket_base::shutdown_both, ignored);
}

/// Writes all of `bytes`; the one body behind both write_all overloads.
template <class Socket>
asio::awaitable<bool> write_every_byte(Socket& to, std::string_view bytes) {
    while (!bytes.empty()) {
        boost::system::error_code ec;
        const std::size_t n = to.write_some(asio::buffer(bytes.data(), bytes.size()), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            auto [wec] = co_await to.async_wait(Socket::wait_write, nothrow);
            if (wec) co_return false;
            continue;
        }
        if (ec) co_return false;
        bytes.remove_prefix(n);
    }
    co_return true;
}

template <class From, class To>
asio::awaitable<void> pump(From& from, To& to, buffer_pool& pool, relay_activity& activity, std::uint64_t& count) {
    // Two paths, chosen by what the last read saw.
    //  - Small messages (a request/response exchange): Asio's async_read_some
    //    into a small buffer of this direction, then a plain send. Asio reads
    //    speculatively and, when the socket is empty, queues the read on the
    //    edge-triggered registration it already has; a wait for readiness
    //    (async_wait) would re-arm it with an epoll_ctl every time. So a hop
    //    costs epoll_wait, recv and send; a splice through a pipe would cost
    //    a wait, two splices and the FIONREAD that proves the pipe empty.
    //  - Bulk: a read that fills the small buffer means more is coming; from
    //    then on splice moves up to a pipe's worth at a time without a copy
    //    through user space, reading again at once after a full read, until
    //    a read comes back small. A waiting bulk direction holds no pipe.
    std::unique_ptr<char[]> small;
    splice_pipe pipe;
    bool bulk = false;
    bool drained = false;  // bulk: the socket said EAGAIN, wait before the next splice
    for (;;) {
        if (!bulk) {
            if (!small) {  // a direction that never carries a byte holds no buffer
                auto [wec] = co_await from.async_wait(From::wait_read, nothrow);
                if (wec) break;
                small = std::make_unique_for_overwrite<char[]>(copy_bytes);
            }
            auto [ec, n] = co_await from.async_read_some(asio::buffer(small.get(), copy_bytes), nothrow);
            if (ec) {
                end_direction(from, to, ec != asio::error::eof);
                break;
            }
            activity.last = std::chrono::steady_clock::now();
            if (!co_await write_every_byte(to, std::string_view(small.get(), n))) {
                end_direction(to, from, true);
                break;
            }
            count += n;
            if (n == copy_bytes) {
                pipe = pool.acquire_pipe();
                bulk = static_cast<bool>(pipe);  // no pipe to be had (descriptor limit): keep copying
                drained = false;
            }
            continue;
        }
        if (drained) {
            drained = false;
            auto [wec] = co_await from.async_wait(From::wait_read, nothrow);
            if (wec) break;
        }
        if (!pipe) pipe = pool.acquire_pipe();
        if (!pipe) {
            bulk = false;
            continue;
        }
        const ssize_t n = ::splice(from.native_handle(), nullptr, pipe.write_end, nullptr, buffer_pool::buffer_bytes, splice_flags);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && would_block(errno)) {
            pool.release_pipe(std::move(pipe));  // idle: hold no pipe while waiting
            drained = true;
            continue;
        }
        if (n <= 0) {
            end_direction(from, to, n < 0);
            break;
        }
        activity.last = std::chrono::steady_clock::now();
        const auto got = static_cast<std::size_t>(n);
        if (!co_await splice_all(pipe, to, got)) {
            pipe = splice_pipe{};  // may hold bytes: closed, never pooled
            end_direction(to, from, true);
            break;
        }
        count += got;
        if (got < buffer_pool::buffer_bytes) {
            pool.release_pipe(std::move(pipe));
            drained = true;
            bulk = got >= copy_bytes;  // a small read: the next one goes the small way
        }
    }
    if (pipe) pool.release_pipe(std::move(pipe));
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

asio::awaitable<bool> write_all(tcp::socket& to, std::string_view bytes) { return write_every_byte(to, bytes); }

asio::awaitable<bool> write_all(client_socket& to, std::string_view bytes) { return write_every_byte(to, bytes); }

asio::awaitable<void> relay(client_socket& client, tcp::socket& upstream, buffer_pool& pool, relay_activity& activity) {
    using namespace asio::experimental::awaitable_operators;
    boost::system::error_code ignored;
    client.non_blocking(true, ignored);
    upstream.non_blocking(true, ignored);
    co_await (pump(client, upstream, pool, activity, activity.up) && pump(upstream, client, pool, activity, activity.down));
}

}  // namespace bottle::egress
