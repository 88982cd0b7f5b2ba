#include "proxy_env.hpp"

#include "../../lab/lab_plan.hpp"
#include "net.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

namespace bottle::escape::probe::support {

namespace {

// /etc/hosts lookup for a proxy host name (IPv4 or IPv6 literal results only).
std::string hosts_lookup(const std::string& name) {
    const auto f = read_file("/etc/hosts", 64 * 1024);
    if (!f.ok) return {};
    std::istringstream in(f.data);
    std::string line;
    while (std::getline(in, line)) {
        if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        std::istringstream words(line);
        std::string addr;
        if (!(words >> addr)) continue;
        for (std::string n; words >> n;)
            if (n == name) return addr;
    }
    return {};
}

proxy_endpoint parse_proxy(std::string var, std::string url) {
    proxy_endpoint p;
    p.var = std::move(var);
    p.url = std::move(url);
    std::string_view rest = p.url;
    if (const auto sep = rest.find("://"); sep != std::string_view::npos) {
        p.scheme = std::string(rest.substr(0, sep));
        std::transform(p.scheme.begin(), p.scheme.end(), p.scheme.begin(), [](unsigned char c) { return std::tolower(c); });
        rest.remove_prefix(sep + 3);
    } else {
        p.scheme = "http";
    }
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        p.userinfo = std::string(rest.substr(0, at));
        rest.remove_prefix(at + 1);
    }
    std::string_view port_text;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) {
            p.problem = "bad proxy URL (unclosed [)";
            return p;
        }
        p.host = std::string(rest.substr(1, close - 1));
        if (close + 1 < rest.size() && rest[close + 1] == ':') port_text = rest.substr(close + 2);
    } else {
        const auto colon = rest.rfind(':');
        p.host = std::string(rest.substr(0, colon));
        if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
    }
    const long port = port_text.empty() ? (p.scheme == "https" ? 443 : 1080) : std::atol(std::string(port_text).c_str());
    if (port <= 0 || port > 65535) {
        p.problem = "bad proxy port '" + std::string(port_text) + "'";
        return p;
    }
    p.port = static_cast<std::uint16_t>(port);
    unsigned char buf[16];
    if (inet_pton(AF_INET, p.host.c_str(), buf) == 1 || inet_pton(AF_INET6, p.host.c_str(), buf) == 1) p.ip = p.host;
    else if (p.host == "localhost") p.ip = "127.0.0.1";
    else p.ip = hosts_lookup(p.host);
    if (p.ip.empty()) p.problem = "proxy host '" + p.host + "' would need DNS (not in /etc/hosts)";
    else if (!lab::is_lab_target(p.ip)) p.problem = "proxy address " + p.ip + " is not a lab address";
    else if (p.scheme == "https") p.problem = "https:// proxy (TLS to the proxy) is not supported by the probe";
    return p;
}

}  // namespace

std::string proxy_endpoint::where() const {
    const bool v6 = ip.find(':') != std::string::npos;
    return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port) + " (" + var + ")";
}

std::vector<proxy_endpoint> proxies_from_env() {
    std::vector<proxy_endpoint> out;
    for (const char* var : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"}) {
        const char* v = std::getenv(var);
        if (v && *v) out.push_back(parse_proxy(var, v));
    }
    return out;
}

std::optional<proxy_endpoint> http_proxy() {
    for (auto& p : proxies_from_env())
        if (p.usable() && !p.is_socks()) return p;
    return socks_proxy();
}

std::optional<proxy_endpoint> socks_proxy() {
    for (auto& p : proxies_from_env())
        if (p.usable() && p.is_socks()) return p;
    return std::nullopt;
}

std::string proxy_env_summary() {
    std::string out;
    for (const char* var : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                            "NO_PROXY", "no_proxy"}) {
        if (const char* v = std::getenv(var)) out += (out.empty() ? "" : " ") + std::string(var) + "=" + v;
    }
    return out.empty() ? "no proxy variables set" : out;
}

}  // namespace bottle::escape::probe::support
