// tools/bottle-preflight/unix_http.hpp — one HTTP/1.0 GET over a local unix socket.
//
// Enough HTTP to ask a Docker daemon `GET /_ping` and `GET /info` without the
// docker CLI (which would follow DOCKER_HOST or a docker context to a remote
// host). Only filesystem socket paths are accepted; the whole exchange is
// bounded by one deadline and the reply by max_http_reply_bytes. HTTP/1.0 makes
// the server close the connection after the reply (no chunked encoding).
#pragma once

#include "system_probes.hpp"

#include <chrono>
#include <string>

namespace bottle::preflight {

inline constexpr std::size_t max_http_reply_bytes = 4 * 1024 * 1024;

namespace detail {

int ms_left(std::chrono::steady_clock::time_point deadline);

/// Waits for `events` on fd until the deadline: 0 ready, ETIMEDOUT, or errno.
int wait_fd(int fd, short events, std::chrono::steady_clock::time_point deadline);

/// Parses "HTTP/1.x NNN ...\r\n...\r\n\r\nbody".
result<http_reply> parse_http_reply(const std::string& raw, const std::string& where);

}  // namespace detail

/// GET `target` from the server on `socket_path`. Errors: not_found (no such
/// socket), permission_denied, timeout, limit_exceeded, io_error.
[[nodiscard]] result<http_reply> local_unix_http_get(const std::string& socket_path, const std::string& target,
                                                            std::chrono::milliseconds timeout);

}  // namespace bottle::preflight
