// tools/bottle-run/agent_start/tcp_forwarder.hpp — bottle-agent-start's
// --forward ADDR:PORT=SOCKET_PATH: a TCP port on the agent container's
// loopback relayed to a unix socket, so an agent container without a
// network reaches its egress proxy through a socket in a bind-mounted
// directory. libc and pthreads only (the program is static).
//
// The relay runs in a process of its own that is not a child of the agent
// (a double fork: it is reparented to the container's init, docker-init,
// which reaps it), in a session of its own (the agent's terminal signals
// never reach it), with stdin, stdout and stderr on /dev/null (the
// container's attach stream ends with the agent). It lives as long as the
// container does.
#pragma once

#include <netinet/in.h>

#include <optional>
#include <string>
#include <string_view>

namespace bottle::agent_start {

/// A parsed --forward value.
struct forward_spec {
    sockaddr_in address{};    ///< where to listen: an IPv4 address and a port
    std::string address_text;  ///< ADDR:PORT as given, for messages
    std::string socket_path;   ///< the unix socket every connection is relayed to
};

/// Parses ADDR:PORT=SOCKET_PATH strictly: ADDR an IPv4 literal in dotted
/// decimal, PORT 1 to 65535 in decimal without a sign or leading zero,
/// SOCKET_PATH absolute and short enough for a unix socket address. Split at
/// the first '=' (a path may hold one). nullopt when refused, with the
/// reason in `why`.
[[nodiscard]] std::optional<forward_spec> parse_forward_spec(std::string_view text, std::string& why);

/// A listening TCP socket (O_CLOEXEC) bound to `spec.address`, or -1 with
/// errno set (the address is in use, not local, ...).
[[nodiscard]] int listen_for_forward(const forward_spec& spec);

/// Starts the relay on `listener` (double fork; the intermediate child is
/// reaped before returning, so the relay is no child of the caller). The
/// caller then closes its own copy of `listener`. Each accepted connection
/// is connected to `socket_path` and copied both ways until both directions
/// reached end of file (each end of file passed on as a half-close); a
/// connection whose socket cannot be reached is closed at once (the client
/// sees end of file, as with a dead proxy). At most 1024 connections at a
/// time (fewer when the descriptor limit is lower); more are closed on
/// accept. False, with errno set when known, when no relay could be started.
[[nodiscard]] bool start_forward_relay(int listener, const std::string& socket_path);

}  // namespace bottle::agent_start
