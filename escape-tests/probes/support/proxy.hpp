// Proxy hops for probes: talk to the proxy the sandbox offers (proxy_env.hpp)
// — CONNECT tunnels, absolute-URI requests, SOCKS5 — or, when it offers none,
// make the same request directly to the resolved lab address. Every TCP
// connection goes through `tcp_stream` (tcp_stream.hpp), which refuses any
// address that fails lab::is_lab_target.
#pragma once

#include "../probe.hpp"
#include "parallel.hpp"
#include "proxy_env.hpp"
#include "tcp_stream.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::escape::probe::support {

/// One request through a proxy or directly.
struct hop_result {
    std::string action;   ///< "via proxy 127.0.0.1:3128 (HTTPS_PROXY): CONNECT denied.lab.test:443, then 517 bytes"
    std::string outcome;  ///< "proxy: HTTP/1.1 403 Forbidden" / "ECONNREFUSED" / "connected, sent 80 bytes, 120 back"
    bool reached = false; ///< the payload was delivered (tunnel 2xx + sent, relayed response, direct connect + send)
    std::string reply;    ///< bytes read back (proxy answer and what followed)
    bool made = false;    ///< the request was issued to its first hop (the proxy, or the target when direct)
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

/// For probes whose attack is the sandbox's proxy (proxy.*): the proxy to
/// attack, or nullopt after marking the report N/A (no proxy variable at all:
/// nothing to aim at, and net.* covers direct egress) or ERROR (a proxy is
/// set but the probe cannot use it: https scheme, a name that needs DNS, an
/// address outside the lab).
[[nodiscard]] std::optional<proxy_endpoint> proxy_under_test(report& rep);

/// For one channel of a probe that also tries the proxy: the proxy, or
/// nullopt after recording the channel N/A (no proxy) or not made (a proxy
/// is set but unusable).
[[nodiscard]] std::optional<proxy_endpoint> proxy_channel(report& rep, std::string_view channel);

/// "via proxy 127.0.0.1:3128 (HTTPS_PROXY)" or "direct (no proxy in the environment)".
[[nodiscard]] std::string route_label(const std::optional<proxy_endpoint>& px);

/// Runs the jobs in parallel, then records each result as an attempt (in
/// order) and observes every non-empty reply as "reply to attempt N: ...".
/// Each attempt is recorded on `channel` with the hop's own `made`; when
/// `expects` is given, expects[i] (if not empty) is job i's path tag
/// (report::expect).
void record_all(report& rep, const std::vector<std::function<hop_result()>>& jobs, std::size_t width = 12,
                std::string_view channel = {}, const std::vector<std::string>& expects = {});

}  // namespace bottle::escape::probe::support
