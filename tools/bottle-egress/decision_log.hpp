// tools/bottle-egress/decision_log.hpp — one JSON line per decision.
//
// Every request the proxy decides (allowed, denied, or failed) becomes one
// line of JSON, written with a single write(2) so concurrent writers never
// interleave: time, bottle id, client, method, host, port, resolved
// address, decision, reason, bytes up/down, duration. Hosts and reasons
// carry untrusted bytes; the escaping here makes the line valid JSON
// whatever they contain (quotes, control bytes, invalid UTF-8: every byte
// outside printable ASCII is written as \u00XX).
#pragma once

#include "bottle/result.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::egress {

/// `text` as a JSON string literal (with the quotes), ASCII only.
[[nodiscard]] std::string json_string(std::string_view text);

/// The time as RFC 3339 UTC with milliseconds: 2024-05-01T12:00:00.123Z.
[[nodiscard]] std::string utc_timestamp(std::chrono::system_clock::time_point t);

enum class verdict { allow, deny, error };

struct decision_record {
    std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
    std::string client;        ///< "ip:port" of the client
    std::string method;        ///< CONNECT, GET, ... (empty if the head was unreadable)
    std::string host;          ///< as the client sent it
    std::uint16_t port = 0;
    std::string address;       ///< "ip:port" dialed, empty if none
    verdict decision = verdict::deny;  ///< fail closed
    std::string reason;
    std::uint64_t bytes_up = 0, bytes_down = 0;
    std::chrono::milliseconds duration{0};
};

/// Renders a record as one line (with the trailing newline).
[[nodiscard]] std::string render(const decision_record& r, std::string_view bottle_id);

class decision_log {
public:
    /// "-" = standard output, "" = standard error, otherwise a file opened
    /// for appending (created 0600). Errors: io_error naming the path.
    [[nodiscard]] static result<decision_log> open(const std::string& path, std::string bottle_id);
    decision_log(decision_log&&) noexcept;
    decision_log& operator=(decision_log&&) noexcept;
    ~decision_log();

    void write(const decision_record& r);
    /// Writes an already rendered line (events other than decisions).
    void write_line(const std::string& line);

    [[nodiscard]] const std::string& bottle_id() const noexcept { return bottle_id_; }

private:
    decision_log(int fd, bool owned, std::string bottle_id) : fd_(fd), owned_(owned), bottle_id_(std::move(bottle_id)) {}
    int fd_ = -1;
    bool owned_ = false;
    std::string bottle_id_;
};

}  // namespace bottle::egress
