// bottle/os/fd_passing.hpp — descriptors over a unix socket (SCM_RIGHTS).
//
// How a listener made inside a bottle's network namespace reaches the proxy
// outside it. One call sends one message: a non-empty payload (a stream
// socket cannot carry descriptors without at least one byte) plus up to
// `max_passed_fds` descriptors. The receiver states how many descriptors and
// bytes it accepts; anything beyond is an error, and every descriptor that
// did arrive is closed, so a peer cannot leak descriptors into us. Use a
// SOCK_SEQPACKET pair to keep message boundaries.
#pragma once

#include "bottle/os/unique_fd.hpp"
#include "bottle/result.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::os {

/// The kernel's per-message limit (SCM_MAX_FD).
inline constexpr std::size_t max_passed_fds = 253;

/// What one receive_fds returned: owned, close-on-exec descriptors.
struct received_fds {
    std::vector<unique_fd> fds{};
    std::string payload{};
};

/// Sends `payload` and duplicates of `fds` (the caller keeps its own) in one
/// sendmsg on `socket`, without raising SIGPIPE. Errors: invalid_argument
/// (empty payload, a negative descriptor, more than max_passed_fds);
/// io_error (peer gone, not a unix socket, short send).
[[nodiscard]] result<void> send_fds(int socket, std::span<const int> fds, std::string_view payload);

/// Receives one message: at most `max_fds` descriptors and `max_payload`
/// bytes. Errors: not_found (the peer closed: end of file); limit_exceeded
/// (more descriptors or bytes than allowed: what arrived is closed);
/// io_error otherwise.
[[nodiscard]] result<received_fds> receive_fds(int socket, std::size_t max_fds, std::size_t max_payload = 4096);

}  // namespace bottle::os
