// escape-tests/runner/upstream_policy.hpp — is what reached the allowed
// upstream an escape?
//
// allowed.lab.test (lab::allowed_v4) on ports 80 and 443 is where a sandbox
// may go. A probe's tag arriving there is therefore not evidence by itself:
// a proxy that rewrote the request into a compliant one (Host set to the
// allowed name) let nothing out. It is an escape only when what arrived
// breaks the policy, judged from the whole stream the sink kept:
//   - a port other than 80 and 443, or UDP;
//   - on 80 (or plaintext on 443): a request whose Host header or absolute
//     URI names another host, several Host headers, or a second request
//     riding behind the first (desync, pipelining past the check);
//   - on 443: a TLS ClientHello whose SNI names another host.
// Pure parsing, unit-tested; nothing here trusts a length it did not check.
#pragma once

#include "../lab/lab_plan.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::escape {

namespace detail {

[[nodiscard]] inline std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

[[nodiscard]] inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

/// "allowed.lab.test", "ALLOWED.lab.test.", "allowed.lab.test:80" (on `port`) name the allowed host.
[[nodiscard]] inline bool names_allowed(std::string_view authority, std::string_view port) {
    std::string a = lower(trim(authority));
    if (const auto colon = a.rfind(':'); colon != std::string::npos && a.find(']') == std::string::npos) {
        if (a.substr(colon + 1) != port) return false;
        a.resize(colon);
    }
    if (!a.empty() && a.back() == '.') a.pop_back();
    return a == lab::allowed_name || a == lab::allowed_v4;
}

/// The SNI host name of a TLS ClientHello at the start of `d`; "" when the
/// hello has none; nullopt when `d` is not a (complete enough) ClientHello.
[[nodiscard]] inline std::optional<std::string> client_hello_sni(std::string_view d) {
    auto u8 = [&](std::size_t at) { return static_cast<std::size_t>(static_cast<unsigned char>(d[at])); };
    auto u16 = [&](std::size_t at) { return (u8(at) << 8) | u8(at + 1); };
    if (d.size() < 9 || u8(0) != 0x16 || u8(1) != 0x03 || u8(5) != 0x01) return std::nullopt;
    std::size_t at = 9 + 2 + 32;  // record header, handshake header, version, random
    if (at >= d.size()) return std::nullopt;
    at += 1 + u8(at);  // session id
    if (at + 2 > d.size()) return std::nullopt;
    at += 2 + u16(at);  // cipher suites
    if (at + 1 > d.size()) return std::nullopt;
    at += 1 + u8(at);  // compression methods
    if (at + 2 > d.size()) return std::string();  // no extensions
    const std::size_t end = std::min(d.size(), at + 2 + u16(at));
    at += 2;
    while (at + 4 <= end) {
        const std::size_t type = u16(at), len = u16(at + 2);
        at += 4;
        if (at + len > end) return std::nullopt;
        if (type == 0 && len >= 5) {  // server_name: list length, type 0 (host_name), name length, name
            const std::size_t name_len = u16(at + 3);
            if (u8(at + 2) != 0 || at + 5 + name_len > end) return std::nullopt;
            return std::string(d.substr(at + 5, name_len));
        }
        at += len;
    }
    return std::string();
}

/// Why the HTTP/1.x stream `d` breaks the policy on `port`, or nullopt.
[[nodiscard]] inline std::optional<std::string> http_breach(std::string_view d, std::string_view port) {
    std::size_t at = 0;
    int requests = 0;
    while (at < d.size()) {
        const auto head_end = d.find("\r\n\r\n", at);
        const std::string_view head = d.substr(at, head_end == std::string_view::npos ? std::string_view::npos : head_end - at);
        const auto line_end = head.find("\r\n");
        const std::string_view line = head.substr(0, line_end);
        const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
        if (sp1 == std::string_view::npos || sp2 == sp1 || line.substr(sp2 + 1).rfind("HTTP/", 0) != 0) {
            if (requests == 0) return std::nullopt;  // not HTTP: nothing to judge
            return "bytes that are not a request follow the first request";
        }
        if (++requests > 1) return "a second request rides behind the first (" + std::string(line.substr(0, 80)) + ")";
        const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
        if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
            const auto start = target.find("://") + 3;
            const std::string_view authority = target.substr(start, target.find('/', start) - start);
            if (!names_allowed(authority.substr(authority.rfind('@') == std::string_view::npos ? 0 : authority.rfind('@') + 1), port))
                return "the request targets " + std::string(authority);
        }
        int hosts = 0;
        long long content_length = 0;
        bool chunked = false, has_length = false;
        for (std::size_t pos = line_end; pos != std::string_view::npos && pos < head.size();) {
            const auto next = head.find("\r\n", pos + 2);
            const std::string_view field = head.substr(pos + 2, next == std::string_view::npos ? std::string_view::npos : next - pos - 2);
            pos = next;
            const auto colon = field.find(':');
            if (colon == std::string_view::npos) continue;
            const std::string name = lower(trim(field.substr(0, colon)));
            const std::string_view value = trim(field.substr(colon + 1));
            if (name == "host") {
                ++hosts;
                if (!names_allowed(value, port)) return "Host: " + std::string(value) + " is not the allowed host";
            } else if (name == "content-length") {
                content_length = std::atoll(std::string(value).c_str());
                has_length = true;
            } else if (name == "transfer-encoding" && lower(value).find("chunked") != std::string::npos) {
                chunked = true;
            }
        }
        if (hosts > 1) return "several Host headers";
        if (head_end == std::string_view::npos) break;
        at = head_end + 4;
        if (chunked && has_length) return "both Content-Length and Transfer-Encoding: chunked (ambiguous framing)";
        if (chunked) {
            for (;;) {  // chunk-size CRLF data CRLF ... 0 CRLF [trailers] CRLF
                const auto eol = d.find("\r\n", at);
                if (eol == std::string_view::npos) return std::nullopt;
                const std::size_t size = std::strtoull(std::string(d.substr(at, eol - at)).c_str(), nullptr, 16);
                at = eol + 2;
                if (size == 0) {
                    const auto trailer_end = d.find("\r\n", at);
                    at = trailer_end == std::string_view::npos ? d.size() : trailer_end + 2;
                    break;
                }
                if (size > d.size() - at) return std::nullopt;
                at += size + 2;
            }
            continue;
        }
        if (content_length < 0 || static_cast<std::size_t>(content_length) > d.size() - at) break;
        at += static_cast<std::size_t>(content_length);
    }
    return std::nullopt;
}

}  // namespace detail

/// For an event at the allowed upstream (`local` "203.0.113.80:PORT"): why
/// it breaks the policy, or nullopt when it is compliant traffic.
[[nodiscard]] inline std::optional<std::string> allowed_upstream_breach(std::string_view local, std::string_view proto,
                                                                       std::string_view data) {
    const std::string_view port = local.substr(local.rfind(':') + 1);
    if (proto == "udp") return "UDP to the allowed upstream (port " + std::string(port) + ")";
    if (port != "80" && port != "443") return "port " + std::string(port) + " is not allowed";
    if (port == "443") {
        if (const auto sni = detail::client_hello_sni(data)) {
            if (!sni->empty() && !detail::names_allowed(*sni, port)) return "TLS SNI " + *sni + " is not the allowed host";
            return std::nullopt;
        }
    }
    return detail::http_breach(data, port);
}

/// True when `local` is the allowed upstream's address (any port).
[[nodiscard]] inline bool at_allowed_upstream(std::string_view local) {
    return local.rfind(std::string(lab::allowed_v4) + ":", 0) == 0;
}

/// True when a captured Ethernet frame carries IPv4 from or to the allowed
/// upstream: its payload is judged by the stream the sink kept, not as a frame.
[[nodiscard]] inline bool frame_of_allowed_upstream(std::string_view frame) {
    if (frame.size() < 34 || static_cast<unsigned char>(frame[12]) != 0x08 || frame[13] != 0x00) return false;
    unsigned char allowed[4];
    if (inet_pton(AF_INET, std::string(lab::allowed_v4).c_str(), allowed) != 1) return false;
    const auto* ip = reinterpret_cast<const unsigned char*>(frame.data() + 14);
    return std::equal(allowed, allowed + 4, ip + 12) || std::equal(allowed, allowed + 4, ip + 16);
}

}  // namespace bottle::escape
