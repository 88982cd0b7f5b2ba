// DNS helpers for probes (no getaddrinfo: a static binary has no NSS). Builds
// queries for any type and any number of questions, sends them over UDP or TCP
// to lab addresses only (through support::udp_exchange / tcp_exchange, which
// refuse anything else), parses enough of an answer to report it, reads
// /etc/resolv.conf the way glibc does, and resolves a name the way the probes
// need it for their "direct" mode (the sandbox's lab resolvers, then the lab
// DNS sink).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::escape::probe::support::dns {

inline constexpr std::uint16_t type_a = 1;
inline constexpr std::uint16_t type_ns = 2;
inline constexpr std::uint16_t type_cname = 5;
inline constexpr std::uint16_t type_null = 10;
inline constexpr std::uint16_t type_txt = 16;
inline constexpr std::uint16_t type_aaaa = 28;
inline constexpr std::uint16_t type_any = 255;

struct question {
    std::string name;  ///< dotted, trailing dot optional; labels over 63 bytes are cut
    std::uint16_t qtype = type_a;
    std::uint16_t qclass = 1;
};

/// A random 16-bit query id (getrandom, falling back to the clock).
[[nodiscard]] std::uint16_t random_id();

/// Wire-format query with every question in `questions` (QDCOUNT = size).
[[nodiscard]] std::string build_query(std::uint16_t id, const std::vector<question>& questions,
                                      bool recursion_desired = true);

[[nodiscard]] std::string type_name(std::uint16_t type);   ///< "A", "TXT", "TYPE99"
[[nodiscard]] std::string rcode_name(int rcode);           ///< "NOERROR", "NXDOMAIN", "RCODE9"

/// What a reply said. `valid` is false for anything that is not a DNS
/// response (too short, QR bit clear, malformed records).
struct response {
    bool valid = false;
    std::uint16_t id = 0;
    int rcode = -1;
    bool truncated = false;
    std::vector<std::string> records;  ///< "x.lab.test A 203.0.113.10" (answer section)
    std::vector<std::string> addresses;  ///< A/AAAA answers as text
    std::string summary;  ///< "NOERROR, 1 answer: x.lab.test A 203.0.113.10" or why it is invalid
};
[[nodiscard]] response parse_response(std::string_view wire);

/// One query sent to one server.
struct exchange {
    std::string outcome;   ///< "sent 45 bytes; NXDOMAIN, 0 answers" / "ENETUNREACH"
    bool sent = false;     ///< the datagram / TCP message left (UDP: sendto ok; TCP: connected and written)
    bool made = false;     ///< the query was issued (socket opened towards a lab server)
    response answer;       ///< parsed reply (valid=false when none)
    std::string raw;       ///< reply bytes
};

/// UDP query to server:53 (lab addresses only). Waits for one reply.
[[nodiscard]] exchange query_udp(std::string_view server, std::string_view wire, int timeout_ms = 700);
/// DNS over TCP to server:53 (2-byte length framing added here).
[[nodiscard]] exchange query_tcp(std::string_view server, std::string_view wire, int timeout_ms = 900);

/// /etc/resolv.conf as glibc reads it: up to 3 nameservers, the last
/// search/domain line wins, options ndots/timeout/attempts; a missing file
/// means "nameserver 127.0.0.1" (glibc's default).
struct resolv_conf {
    bool ok = false;   ///< the file could be read
    int err = 0;       ///< errno when not
    std::string text;  ///< the file as read (capped)
    std::vector<std::string> nameservers;
    std::vector<std::string> search;
    int ndots = 1;
    int timeout_s = 5;
    int attempts = 2;
};
[[nodiscard]] resolv_conf read_resolv_conf(const std::string& path = "/etc/resolv.conf");

/// The nameservers of `rc` that pass lab::is_lab_target.
[[nodiscard]] std::vector<std::string> lab_nameservers(const resolv_conf& rc);

/// Resolution for a probe's direct mode: IP literals as-is, "localhost" as
/// 127.0.0.1, otherwise an A (or AAAA) query to the sandbox's lab resolvers
/// and then the lab DNS sink, within `timeout_ms` in total.
struct lookup {
    std::vector<std::string> addresses;
    std::string how;  ///< "literal", "203.0.113.53: NOERROR, 1 answer: ...", "no resolver answered"
};
[[nodiscard]] lookup resolve(std::string_view name, std::uint16_t qtype = type_a, int timeout_ms = 600);

}  // namespace bottle::escape::probe::support::dns
