// A TCP connection to a lab address for probes, non-blocking with deadlines;
// it refuses any address that fails lab::is_lab_target. Also the status line
// of an HTTP answer.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace bottle::escape::probe::support {

using clock_type = std::chrono::steady_clock;

/// Milliseconds until `deadline`, never negative (a poll timeout).
inline int ms_left(clock_type::time_point deadline) {
    return static_cast<int>(std::max<long long>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count()));
}

/// A TCP connection to a lab address, non-blocking with deadlines.
class tcp_stream {
public:
    tcp_stream() = default;
    tcp_stream(const tcp_stream&) = delete;
    tcp_stream& operator=(const tcp_stream&) = delete;
    ~tcp_stream();
    /// Connects to ip:port (IPv4/IPv6 text; "fe80::1%eth0" scopes allowed).
    /// False with error() set: "not a lab address: not attempted", errno name.
    bool open(std::string_view ip, std::uint16_t port, int timeout_ms);
    /// Writes all of data; false with error() set.
    bool send_all(std::string_view data, int timeout_ms);
    /// Reads until the peer closes, `stop` (when non-empty) appears, `cap`
    /// bytes, or `timeout_ms`. Returns what was read by this call.
    std::string read(int timeout_ms, std::string_view stop = {}, std::size_t cap = 16 * 1024);
    [[nodiscard]] const std::string& error() const { return error_; }
    [[nodiscard]] bool closed_by_peer() const { return eof_; }
    /// True once open() issued socket() (the target was a lab address):
    /// whatever happened after is the sandbox's answer.
    [[nodiscard]] bool attempted() const { return attempted_; }
    [[nodiscard]] int fd() const { return fd_; }

private:
    int fd_ = -1;
    bool eof_ = false;
    bool attempted_ = false;
    std::string error_;
};

/// The status line of an HTTP response (valid=false when `head` is not one).
struct http_status {
    bool valid = false;
    int code = 0;
    std::string line;  ///< "HTTP/1.1 403 Forbidden"
};
[[nodiscard]] http_status parse_status(std::string_view head);

}  // namespace bottle::escape::probe::support
