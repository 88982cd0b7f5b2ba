// Proxy discovery for probes: the proxies a sandbox names in its environment
// (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY in both cases), parsed without DNS, and
// whether each is usable from inside the lab (a lab address, a scheme the
// probe speaks).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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

}  // namespace bottle::escape::probe::support
