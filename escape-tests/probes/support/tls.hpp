// A TLS ClientHello builder for probes: the first flight a real client sends
// (TLS 1.3 with 1.2 fallback, x25519 key share, the usual extensions), with a
// chosen SNI and the probe's tag as the first ALPN protocol, so a sink or a
// packet capture that sees the bytes can attribute them. No handshake is ever
// completed: the lab's TLS sinks do not answer, and a probe only needs its
// bytes delivered.
#pragma once

#include <string>
#include <string_view>

namespace bottle::escape::probe::support::tls {

/// One TLS record holding a ClientHello. `sni` empty = no server_name
/// extension (as clients do for IP literals). ALPN lists `alpn_tag` (cut to
/// 255 bytes), then "h2" and "http/1.1".
[[nodiscard]] std::string client_hello(std::string_view sni, std::string_view alpn_tag);

/// What came back, in words: "no bytes", "TLS handshake record (ServerHello),
/// 1234 bytes", "TLS alert fatal 40", or "not TLS: <first line>".
[[nodiscard]] std::string describe_reply(std::string_view reply);

}  // namespace bottle::escape::probe::support::tls
