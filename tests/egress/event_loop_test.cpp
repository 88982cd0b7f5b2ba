#include "bottle-egress/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include <chrono>

namespace {

using bottle::egress::run_event_loop;
namespace asio = boost::asio;
using std::chrono::microseconds;

// The busy-poll loop must behave like io_context::run(): run every handler,
// wait for timers past the poll window, return when out of work or stopped.
TEST(EgressEventLoop, RunsEveryHandlerAndReturnsWhenOutOfWork) {
    for (const auto window : {microseconds(0), microseconds(50), microseconds(5000)}) {
        asio::io_context io(1);
        int ran = 0;
        for (int i = 0; i < 10; ++i) asio::post(io, [&] { ++ran; });
        asio::steady_timer later(io);
        later.expires_after(std::chrono::milliseconds(20));  // well past a 50 µs window: the loop sleeps, then wakes
        bool fired = false;
        later.async_wait([&](const boost::system::error_code& ec) { fired = !ec; });
        const auto t0 = std::chrono::steady_clock::now();
        run_event_loop(io, window);
        EXPECT_EQ(ran, 10) << window.count();
        EXPECT_TRUE(fired) << window.count();
        EXPECT_TRUE(io.stopped()) << window.count();
        EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(20)) << window.count();
    }
}

TEST(EgressEventLoop, StopFromAHandlerEndsTheLoop) {
    for (const auto window : {microseconds(0), microseconds(50)}) {
        asio::io_context io(1);
        asio::steady_timer never(io);
        never.expires_after(std::chrono::hours(1));  // outstanding work: only stop() can end the loop
        never.async_wait([](const boost::system::error_code&) {});
        asio::steady_timer soon(io);
        soon.expires_after(std::chrono::milliseconds(5));
        soon.async_wait([&](const boost::system::error_code&) { io.stop(); });
        run_event_loop(io, window);
        EXPECT_TRUE(io.stopped()) << window.count();
    }
}

}  // namespace
