// Proxy helpers for probes: find the proxy the sandbox offers (environment),
// talk to it (CONNECT tunnels, absolute-URI requests, SOCKS5), or, when the
// sandbox offers none, make the same request directly to the resolved lab
// address. Every TCP connection goes through `tcp_stream`, which refuses any
// address that fails lab::is_lab_target. Also: a small parallel runner so a
// probe with many attempts stays well inside its deadline.
#pragma once

#include "../probe.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::escape::probe::support {

/// A proxy named by an environment variable.
struct proxy_endpoint {
    std::string var;       ///< "HTTPS_PROXY"
    std::string url;       ///< the variable's value
    std::string scheme;    ///< "http", "https", "socks5", "socks5h", ... ("http" when absent)
    std::string host;      ///< as written (brackets removed)
    std::string ip;        ///< address to connect to ("localhost" -> 127.0.0.1); empty when unusable
    std::uint16_t port = 0;
    std::string userinfo;  ///< "user:pass" as written (sent as Proxy-Authorization: Basic)
    std::string problem;   ///< why it cannot be used (not a lab address, needs DNS, bad URL)
    [[nodiscard]] bool usable() const { return problem.empty() && !ip.empty() && port != 0; }
    [[nodiscard]] bool is_socks() const { return scheme.rfind("socks", 0) == 0; }
    /// "127.0.0.1:3128 (HTTPS_PROXY)"
    [[nodiscard]] std::string where() const;
};

/// Every proxy variable that is set, in priority order HTTPS_PROXY,
/// https_proxy, HTTP_PROXY, http_proxy, ALL_PROXY, all_proxy.
[[nodiscard]] std::vector<proxy_endpoint> proxies_from_env();
/// The first usable HTTP(S)-scheme proxy, else the first usable SOCKS proxy.
/// proxy_connect/proxy_send speak SOCKS5 to a SOCKS proxy (CONNECT to the
/// request's authority), so probes need not care which kind they got.
[[nodiscard]] std::optional<proxy_endpoint> http_proxy();
/// The first usable SOCKS proxy, if any.
[[nodiscard]] std::optional<proxy_endpoint> socks_proxy();
/// "HTTPS_PROXY=http://127.0.0.1:3128 NO_PROXY=localhost" (proxy-related env only).
[[nodiscard]] std::string proxy_env_summary();

/// A TCP connection to a lab address, non-blocking with deadlines.
class tcp_stream {
public:
    tcp_stream() = default;
    tcp_stream(const tcp_stream&) = delete;
    tcp_stream& operator=(const tcp_stream&) = delete;
    ~tcp_stream();
    /// Connects to ip:port (IPv4/IPv6 text; "fe80::1%eth0" scopes allowed).
    /// False with error() set: "not a lab address: not attempted", errno name.
    bool open(std::string_view ip, std::uint16_t port, int timeout_ms);
    /// Writes all of data; false with error() set.
    bool send_all(std::string_view data, int timeout_ms);
    /// Reads until the peer closes, `stop` (when non-empty) appears, `cap`
    /// bytes, or `timeout_ms`. Returns what was read by this call.
    std::string read(int timeout_ms, std::string_view stop = {}, std::size_t cap = 16 * 1024);
    [[nodiscard]] const std::string& error() const { return error_; }
    [[nodiscard]] bool closed_by_peer() const { return eof_; }
    [[nodiscard]] int fd() const { return fd_; }

private:
    int fd_ = -1;
    bool eof_ = false;
    std::string error_;
};

/// The status line of an HTTP response (valid=false when `head` is not one).
struct http_status {
    bool valid = false;
    int code = 0;
    std::string line;  ///< "HTTP/1.1 403 Forbidden"
};
[[nodiscard]] http_status parse_status(std::string_view head);

/// One request through a proxy or directly.
struct hop_result {
    std::string action;   ///< "via proxy 127.0.0.1:3128 (HTTPS_PROXY): CONNECT denied.lab.test:443, then 517 bytes"
    std::string outcome;  ///< "proxy: HTTP/1.1 403 Forbidden" / "ECONNREFUSED" / "connected, sent 80 bytes, 120 back"
    bool reached = false; ///< the payload was delivered (tunnel 2xx + sent, relayed response, direct connect + send)
    std::string reply;    ///< bytes read back (proxy answer and what followed)
};

/// CONNECT `authority` through `px`, then (on 2xx) send `payload` and read
/// for a while. `extra_headers` are added verbatim ("Name: value\r\n" each).
/// The whole exchange keeps within `budget_ms`.
[[nodiscard]] hop_result proxy_connect(const proxy_endpoint& px, std::string_view authority, std::string_view payload,
                                       int budget_ms = 1600, std::string_view extra_headers = {});
/// Sends `request` (already complete, absolute-form or anything) to `px` and
/// reads the answer. Proxy-Authorization is not added: use proxy_auth_header.
[[nodiscard]] hop_result proxy_send(const proxy_endpoint& px, std::string_view request, int budget_ms = 1600);
/// "Proxy-Authorization: Basic ...\r\n" when px has userinfo, else "".
[[nodiscard]] std::string proxy_auth_header(const proxy_endpoint& px);
/// Connects to ip:port and sends payload. `label` names the target in the action.
[[nodiscard]] hop_result direct(std::string_view ip, std::uint16_t port, std::string_view payload, int budget_ms = 1600,
                                std::string_view label = {});
/// Direct mode for a name: resolve `host` (IP literal, localhost, lab DNS;
/// `fallback_ip` from the lab plan when DNS gives nothing), then direct().
[[nodiscard]] hop_result direct_to_host(std::string_view host, std::uint16_t port, std::string_view payload,
                                        int budget_ms = 1600, std::string_view fallback_ip = {});

/// Through the proxy when there is one (CONNECT host:port + payload), else
/// direct_to_host(host, port, payload).
[[nodiscard]] hop_result tunnel(const std::optional<proxy_endpoint>& px, std::string_view host, std::uint16_t port,
                                std::string_view payload, int budget_ms = 1600, std::string_view fallback_ip = {});
/// Through the proxy when there is one (the request as given, which should be
/// absolute-form), else direct_to_host(host, port, request).
[[nodiscard]] hop_result http_via(const std::optional<proxy_endpoint>& px, std::string_view host, std::uint16_t port,
                                  std::string_view request, int budget_ms = 1600, std::string_view fallback_ip = {});

/// "GET http://<authority><path>/<tag> HTTP/1.1" with Host: host_header (or
/// authority when empty), X-Bbx-Tag and Connection: close; plus proxy auth
/// when px has userinfo.
[[nodiscard]] std::string absolute_get(const context& ctx, const std::optional<proxy_endpoint>& px,
                                       std::string_view authority, std::string_view path = "/",
                                       std::string_view host_header = {});

/// "via proxy 127.0.0.1:3128 (HTTPS_PROXY)" or "direct (no proxy in the environment)".
[[nodiscard]] std::string route_label(const std::optional<proxy_endpoint>& px);

/// Runs every job, up to `width` at a time on threads (sequentially when
/// threads cannot be created). Jobs must not throw.
void run_parallel(const std::vector<std::function<void()>>& jobs, std::size_t width = 12);

/// Runs the jobs in parallel, then records each result as an attempt (in
/// order) and observes every non-empty reply as "reply to attempt N: ...".
void record_all(report& rep, const std::vector<std::function<hop_result()>>& jobs, std::size_t width = 12);

}  // namespace bottle::escape::probe::support
