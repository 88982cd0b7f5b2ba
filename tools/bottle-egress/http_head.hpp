// tools/bottle-egress/http_head.hpp — strict HTTP/1.1 message heads.
//
// The proxy reads request heads from an untrusted client and response heads
// from an upstream. Every spelling that two HTTP implementations could read
// differently is refused here (request smuggling lives in those gaps): bare
// LF or CR, obs-fold, whitespace before a colon, duplicate or malformed
// Content-Length, Content-Length together with Transfer-Encoding, any
// Transfer-Encoding other than one "chunked", control bytes, more than one
// Host. Only two request targets are accepted: CONNECT authority-form
// (host:port) and absolute-URI http://authority/path; origin-form, asterisk
// and every other scheme are refused. The parser does not judge hosts: it
// hands the raw host text to the policy, which canonicalises it.
#pragma once

#include "bottle/result.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::egress {

/// Explicit limits on a head; `limit_exceeded` names the one that was hit.
struct head_limits {
    std::size_t max_head_bytes = 16 * 1024;  ///< request line + fields + final CRLF
    std::size_t max_fields = 100;
};

struct header_field {
    std::string name;   ///< as sent (a token)
    std::string value;  ///< optional whitespace trimmed
};

/// How the body after a head is delimited.
enum class body_kind {
    none,         ///< no body (or an empty one)
    length,       ///< exactly `content_length` bytes
    chunked,      ///< chunked transfer coding (see chunked_framer.hpp)
    until_close,  ///< responses only: the body ends when the upstream closes
};

enum class target_form { authority, absolute };

/// A request head that passed every framing rule.
struct request_head {
    std::string method;
    target_form form = target_form::authority;
    std::string target;          ///< the request-target as sent
    std::string host;            ///< raw host text from the target; IPv6 without brackets
    bool host_bracketed = false; ///< the target spelled the host as [IPv6]
    std::uint16_t port = 0;      ///< from the target, or 80 for http:// without a port
    std::string origin_path;     ///< absolute-URI path + query ("/" when empty)
    int version_minor = 1;       ///< HTTP/1.<minor>, 0 or 1
    std::vector<header_field> fields;
    body_kind body = body_kind::none;
    std::uint64_t content_length = 0;
    std::size_t head_bytes = 0;  ///< bytes of the buffer that the head used

    /// The value of the one field called `name` (case-insensitive), if any.
    [[nodiscard]] std::optional<std::string_view> field(std::string_view name) const;
};

struct response_head {
    int version_minor = 1;
    int status = 0;
    std::string reason;
    std::vector<header_field> fields;
    body_kind body = body_kind::until_close;
    std::uint64_t content_length = 0;
    std::size_t head_bytes = 0;

    [[nodiscard]] std::optional<std::string_view> field(std::string_view name) const;
};

/// Parses a request head at the start of `buffer`.
/// - a value: the head is complete and valid (`head_bytes` says where it ends);
/// - an empty optional: no final CRLF CRLF yet and nothing wrong so far;
/// - parse_error: the client broke a rule (answer 400; the message says which);
/// - limit_exceeded: the head is larger than the limits allow (431).
[[nodiscard]] result<std::optional<request_head>> parse_request_head(std::string_view buffer,
                                                                     const head_limits& limits = {});

/// Parses a response head from an upstream. `request_method` decides whether
/// a body follows (HEAD, 1xx, 204 and 304 have none). Same contract.
[[nodiscard]] result<std::optional<response_head>> parse_response_head(std::string_view buffer,
                                                                       std::string_view request_method,
                                                                       const head_limits& limits = {});

/// Splits an authority "host:port" / "[v6]:port" (port required when
/// `default_port` is 0). Refuses userinfo, empty hosts, bad ports.
struct authority {
    std::string host;
    bool bracketed = false;
    std::uint16_t port = 0;
};
[[nodiscard]] result<authority> parse_authority(std::string_view text, std::uint16_t default_port);

/// Case-insensitive ASCII comparison for field names and tokens.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

/// True for connection-specific ("hop-by-hop") fields a proxy must not
/// forward: Connection, Keep-Alive, Proxy-* (credentials for this proxy
/// never go upstream), TE, Upgrade, and every name listed in a Connection
/// field (`listed`). Transfer-Encoding stays: the body is relayed in the
/// framing it arrived in. A Connection field that lists a framing field
/// (Content-Length, Transfer-Encoding, Host) is refused by the parsers.
[[nodiscard]] bool is_hop_by_hop(std::string_view name, const std::vector<std::string>& listed) noexcept;

/// The comma-separated tokens of every Connection field, lower-cased.
[[nodiscard]] std::vector<std::string> connection_tokens(const std::vector<header_field>& fields);

}  // namespace bottle::egress
