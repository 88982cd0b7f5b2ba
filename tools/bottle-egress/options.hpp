// tools/bottle-egress/options.hpp — bottle-egress's command line and the
// checked configuration built from it.
//
//   bottle-egress [--args-stdin] (--listen ADDR:PORT | --listen-fd N | --listen-unix PATH)...
//                 (--allow HOST[:PORT[,PORT...]]... | --manifest PATH --bottle NAME...)
//                 [--resolve NAME=ADDR[,ADDR...]]... [--nameserver ADDR[:PORT]]
//                 [--permit CIDR]... [--log FILE|-] [--bottle-id ID]
//
// Everything is checked before the proxy opens a socket: routes through
// policy::make_route (a route like "*.com" is refused here), addresses and
// CIDRs through the strict parsers of bottle::net. Any error is a usage
// error (exit 2) that names the argument.
//
// --args-stdin takes further arguments from one line of standard input (a
// JSON array of strings) before anything else is parsed, so a sidecar can
// be started ahead of time and be told its routes later.
#pragma once

#include "bottle/net/cidr.hpp"
#include "bottle/policy/egress_policy.hpp"
#include "bottle/result.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <chrono>
#include <cstddef>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bottle::egress {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  ///< could not start or serve (bind, log file, resolver)
inline constexpr int exit_usage = 2;

/// Explicit limits; each can be set on the command line.
struct proxy_limits {
    std::size_t max_head_bytes = 16 * 1024;
    std::size_t max_connections = 4096;  ///< client connections at once
    std::size_t max_tunnels = 2048;      ///< CONNECT tunnels at once
    std::chrono::milliseconds head_timeout{10'000};     ///< whole request head, from its first byte
    std::chrono::milliseconds hello_timeout{10'000};    ///< TLS ClientHello after the 200
    std::chrono::milliseconds connect_timeout{10'000};  ///< to the upstream
    std::chrono::milliseconds idle_timeout{300'000};    ///< no byte in either direction
};

/// The checked configuration the proxy runs with.
struct config {
    std::vector<boost::asio::ip::tcp::endpoint> listen;
    std::vector<int> listen_fds;
    std::vector<std::string> listen_unix;  ///< unix socket paths to create (mode 0666)
    std::vector<policy::route> routes;
    std::map<std::string, std::vector<net::address>> static_answers;  ///< by canonical name
    std::optional<boost::asio::ip::udp::endpoint> nameserver;
    std::vector<net::cidr> permits;
    std::string log_path;  ///< "-" stdout, "" stderr
    std::string bottle_id;
    proxy_limits limits;
    /// After the last handler ran, poll without blocking this long before
    /// sleeping in epoll_wait (--busy-poll; 0 = never poll). Trades CPU for
    /// round-trip time on request/response traffic; see docs/bottle-egress.md.
    std::chrono::microseconds busy_poll{50};
};

/// What the command line asked for.
struct command_line {
    bool help = false;
    bool version = false;
    config cfg;
};

/// Parses and checks the arguments (without argv[0]); loads the manifest
/// when --manifest is given. Errors are usage errors (invalid_argument,
/// or the manifest loader's error) with a message naming the argument.
[[nodiscard]] result<command_line> parse_command_line(const std::vector<std::string>& args);

/// The longest argument line --args-stdin reads (without its newline).
inline constexpr std::size_t max_args_line_bytes = 1024 * 1024;

/// Parses one --args-stdin line: a JSON array of strings (at most
/// max_args_line_bytes). Errors (invalid_argument, naming what is wrong):
/// not JSON, not an array, an element that is not a string, or an element
/// "--args-stdin" (the line cannot ask for another line).
[[nodiscard]] result<std::vector<std::string>> parse_args_line(std::string_view line);

/// When `args` holds "--args-stdin" (once), returns `args` without it and
/// with the strings of one line read from `in` appended; otherwise `args`
/// unchanged. Errors (invalid_argument): the flag given twice, end of input
/// before a newline, a line over max_args_line_bytes, or parse_args_line's.
[[nodiscard]] result<std::vector<std::string>> expand_args_stdin(std::vector<std::string> args, std::istream& in);

/// --help text: synopsis, every option, exit codes, an example.
[[nodiscard]] std::string usage_text();

/// Parses one --allow value "HOST[:PORT[,PORT...]]" ("[V6][:PORTS]" for IPv6).
[[nodiscard]] result<policy::route> parse_allow(std::string_view text, bool tls);

/// Parses one --resolve value "NAME=ADDR[,ADDR...]" into (canonical name, addresses).
[[nodiscard]] result<std::pair<std::string, std::vector<net::address>>> parse_resolve(std::string_view text);

/// Parses "ADDR:PORT" / "[V6]:PORT" for --listen (port 0 = ephemeral).
[[nodiscard]] result<boost::asio::ip::tcp::endpoint> parse_listen(std::string_view text);

}  // namespace bottle::egress
