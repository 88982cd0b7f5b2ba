// tools/bottle-run/backends/docker/engine.hpp — the Docker Engine API over
// its unix socket.
//
// Why the API and not the `docker` CLI: a bottle takes about ten daemon
// calls (two networks, two containers, attach, start, wait, teardown). Each
// CLI call is a Go program start plus a version negotiation, tens of
// milliseconds apiece on a small machine, which alone would put the launch
// far above a bare `docker run`; over the socket a call costs only what the
// daemon does. The API also gives the attach stream as a plain socket, so
// the native backend's pty relay (pump, raw_terminal) serves it unchanged.
//
// Requests are HTTP/1.1 (Boost.Beast), one connection per call, pinned to
// API version 1.41 (Docker 20.10, served by every later daemon) so replies
// keep one shape. Only unix sockets: DOCKER_HOST=unix://PATH is honoured;
// tcp:// and ssh:// are refused (a daemon reached without TLS over TCP is
// anybody's root; use a unix socket or an ssh tunnel to one).
#pragma once

#include "bottle/os/unique_fd.hpp"
#include "bottle/result.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace bottle::run::docker {

inline constexpr const char* api_prefix = "/v1.41";

struct endpoint {
    std::string socket_path{};  ///< the daemon's unix socket
    std::string spec{};         ///< as given, for messages ("unix:///var/run/docker.sock")
};

/// The daemon DOCKER_HOST names (unset or empty: /var/run/docker.sock).
/// Errors: unsupported (tcp://, ssh://, npipe://, fd://), invalid_argument.
[[nodiscard]] result<endpoint> endpoint_from(const std::optional<std::string>& docker_host);

struct reply {
    unsigned status = 0;
    std::string body{};
};

/// A hijacked connection (attach): the raw stream after the 101 reply, and
/// the bytes the HTTP reader had already taken past the header.
struct hijacked {
    os::unique_fd fd{};
    std::string early{};
};

class engine {
public:
    explicit engine(endpoint e) : ep_(std::move(e)) {}

    /// One request; `target` is appended to api_prefix. `body` is sent as
    /// JSON (or as `content_type` when given). Errors: io_error (cannot
    /// connect: names the socket), timeout.
    [[nodiscard]] result<reply> call(const std::string& method, const std::string& target, const std::optional<std::string>& body = std::nullopt,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(60),
                                     const std::string& content_type = "application/json") const;

    /// call() that wants a 2xx reply: its body parsed as JSON (null when
    /// empty). Errors: conflict (409), not_found (404), io_error (other
    /// statuses, with the daemon's message).
    [[nodiscard]] result<boost::json::value> call_json(const std::string& method, const std::string& target,
                                                       const std::optional<std::string>& body = std::nullopt,
                                                       std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

    /// call() whose reply body is handed to `on_body` as it arrives (all of
    /// it so far, each time more came): a long request's progress (a build).
    [[nodiscard]] result<reply> call_streaming(const std::string& method, const std::string& target, const std::string& body,
                                               const std::string& content_type, std::chrono::milliseconds timeout,
                                               const std::function<void(const std::string&)>& on_body) const;

    /// POST `target` with `Upgrade: tcp`; the stream after the 101.
    [[nodiscard]] result<hijacked> hijack(const std::string& target) const;

    [[nodiscard]] const endpoint& where() const noexcept { return ep_; }

private:
    endpoint ep_;
};

/// The daemon's message from an error body ({"message": "..."}), else the
/// body itself, shortened.
[[nodiscard]] std::string daemon_message(const std::string& body);

/// Percent-encodes a query value (filters are JSON in a query string).
[[nodiscard]] std::string url_encode(const std::string& s);

}  // namespace bottle::run::docker
