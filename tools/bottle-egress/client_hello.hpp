// tools/bottle-egress/client_hello.hpp — the server name a TLS client asks for.
//
// A CONNECT tunnel is only allowed to carry TLS to the host it named, so the
// proxy reads the first bytes the client sends through the tunnel, and this
// parser extracts the ClientHello's server_name. The bytes may arrive split
// anywhere: across TCP segments, and a ClientHello may span several TLS
// records (post-quantum key shares make that common). Everything is checked
// for exact lengths; a tunnel is refused, with the reason, when the bytes are
// not TLS, the hello carries no server name, several names, a non-DNS name
// type, duplicate extensions, or Encrypted Client Hello (whose outer name is
// not the one the server will see).
#pragma once

#include "bottle/result.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bottle::egress {

/// The most bytes buffered while waiting for a whole ClientHello.
inline constexpr std::size_t max_client_hello_bytes = 16 * 1024;

struct client_hello {
    std::string server_name;  ///< the one host_name, bytes as sent (not canonicalised)
    std::size_t bytes = 0;    ///< bytes of the buffer the records holding the hello used
};

/// Parses the start of a tunnel.
/// - a value: a complete ClientHello with exactly one host_name;
/// - an empty optional: valid so far, more bytes are needed;
/// - parse_error: not TLS, or a malformed hello; `unsupported`: TLS the
///   proxy cannot check (ECH, no SNI, several names); `limit_exceeded`: the
///   hello does not fit in `max_bytes`. The message says which.
[[nodiscard]] result<std::optional<client_hello>> parse_client_hello(std::string_view buffer,
                                                                     std::size_t max_bytes = max_client_hello_bytes);

}  // namespace bottle::egress
