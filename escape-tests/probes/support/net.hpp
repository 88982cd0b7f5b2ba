// Network helpers for probes. Every function refuses a target outside the lab
// (lab::is_lab_target) and reports that as an outcome, so a probe bug cannot
// aim traffic at a real address.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bottle::escape::probe::support {

/// "ECONNREFUSED" for ECONNREFUSED, "errno 999" for unknown values.
[[nodiscard]] std::string errno_name(int err);

struct exchange_result {
    bool refused_target = false;  ///< not a lab address: nothing was sent
    bool made = false;            ///< socket() was issued: the outcome is the sandbox's answer
    bool connected = false;       ///< TCP/unix: connection established
    bool sent = false;            ///< payload fully written (UDP: sendto succeeded)
    std::string reply;            ///< bytes received before close/timeout (capped 16 KiB)
    std::string outcome;          ///< human summary: "connected, sent 61 bytes, 120 bytes back" or "ENETUNREACH"
};

/// TCP connect to ip:port (IPv4 or IPv6 text), send `payload`, read a reply
/// until close, `timeout_ms` or 16 KiB.
[[nodiscard]] exchange_result tcp_exchange(std::string_view ip, std::uint16_t port, std::string_view payload,
                                           int timeout_ms = 1500);

/// UDP datagram to ip:port; waits up to `timeout_ms` for one reply datagram.
[[nodiscard]] exchange_result udp_exchange(std::string_view ip, std::uint16_t port, std::string_view payload,
                                           int timeout_ms = 800);

/// AF_UNIX stream connect: `path` is a filesystem path, or "@name" for the
/// abstract namespace. Sends `payload`, reads a reply like tcp_exchange.
[[nodiscard]] exchange_result unix_exchange(std::string_view path, std::string_view payload, int timeout_ms = 1500);

/// Whole file, or an empty optional-like pair (ok=false, err=errno).
struct file_read {
    bool ok = false;
    int err = 0;
    std::string data;
};
[[nodiscard]] file_read read_file(const std::string& path, std::size_t cap = 64 * 1024);

/// "ok" when ok else errno_name(err).
[[nodiscard]] std::string describe(const file_read& r);

}  // namespace bottle::escape::probe::support
