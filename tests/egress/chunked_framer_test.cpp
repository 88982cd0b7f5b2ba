#include "bottle-egress/chunked_framer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using bottle::egress::chunked_framer;
using bottle::errc;
using bottle::failed_with;

/// Feeds `text` in pieces of `step` bytes; returns the body length, or -1
/// when the framer refused, or -2 when the body did not end.
long long body_length(const std::string& text, std::size_t step = 1 << 20) {
    chunked_framer f;
    std::size_t used = 0;
    for (std::size_t at = 0; at < text.size() && !f.done(); at += step) {
        auto n = f.feed(std::string_view(text).substr(at, step));
        if (!n) return -1;
        used += *n;
    }
    return f.done() ? static_cast<long long>(used) : -2;
}

TEST(ChunkedFramer, EndsExactlyAfterTheLastChunkAndTrailers) {
    const std::string body = "5\r\nhello\r\nA;ext=\"v\"\r\n0123456789\r\n0\r\nX-Sum: 1\r\n\r\n";
    const std::string next = "GET http://b.example/ HTTP/1.1\r\n";
    for (std::size_t step : {1u, 2u, 3u, 7u, 1000u}) {
        EXPECT_EQ(body_length(body + next, step), static_cast<long long>(body.size())) << step;
    }
    EXPECT_EQ(body_length("0\r\n\r\n"), 5);
    EXPECT_EQ(body_length("0000\r\n\r\n"), 8);
    EXPECT_EQ(body_length("5\r\nhello\r\n"), -2);
}

TEST(ChunkedFramer, RefusesAmbiguousSpellings) {
    for (const char* bad : {"+5\r\nhello\r\n0\r\n\r\n", " 5\r\nhello\r\n0\r\n\r\n", "5 \r\nhello\r\n0\r\n\r\n",
                            "0x5\r\nhello\r\n0\r\n\r\n", "5\nhello\n0\n\n", "5\r\nhello\n0\r\n\r\n", "5\r\nhello world\r\n",
                            "\r\n", ";x\r\n", "5\rhello", "0\r\n X: y\r\n\r\n", "0\r\nX : y\r\n\r\n", "0\r\nX\r\n\r\n",
                            "0\r\n: y\r\n\r\n", "0\r\nX: \x01\r\n\r\n", "1;\x01\r\nx\r\n0\r\n\r\n"}) {
        EXPECT_EQ(body_length(bad), -1) << bad;
    }
}

TEST(ChunkedFramer, SizeOverflowIsRefused) {
    EXPECT_EQ(body_length("fffffffffffffff\r\n"), -2);  // 15 digits: a huge but valid chunk
    chunked_framer f;
    EXPECT_TRUE(failed_with(f.feed("1000000000000000\r\n"), errc::parse_error));
}

TEST(ChunkedFramer, Limits) {
    chunked_framer f({.max_line_bytes = 8, .max_trailer_bytes = 16});
    EXPECT_TRUE(failed_with(f.feed("1;aaaaaaaaaaaa\r\n"), errc::limit_exceeded));
    chunked_framer g({.max_line_bytes = 8, .max_trailer_bytes = 16});
    EXPECT_TRUE(failed_with(g.feed("0\r\nX-Long: aaaaaaaaaaaaaaaa\r\n\r\n"), errc::limit_exceeded));
}

}  // namespace
