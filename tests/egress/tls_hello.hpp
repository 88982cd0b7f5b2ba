// tests/egress/tls_hello.hpp — builds TLS ClientHello bytes for the egress
// tests: any set of extensions, split over any number of records.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bottle::egress::testing {

inline std::string u16(std::size_t n) { return {static_cast<char>(n >> 8 & 0xff), static_cast<char>(n & 0xff)}; }

inline std::string extension(std::uint16_t type, const std::string& data) { return u16(type) + u16(data.size()) + data; }

/// A server_name extension with the given names (name type `type`).
inline std::string sni_extension(const std::vector<std::string>& names, unsigned char type = 0) {
    std::string list;
    for (const auto& n : names) list += std::string(1, static_cast<char>(type)) + u16(n.size()) + n;
    return extension(0, u16(list.size()) + list);
}

/// The handshake message (type, 24-bit length, body) of a ClientHello with
/// these extensions (none at all when `with_extensions` is false).
inline std::string hello_message(const std::vector<std::string>& extensions, bool with_extensions = true) {
    std::string body = u16(0x0303) + std::string(32, '\x11') + std::string(1, '\0') + u16(2) + "\x13\x01" +
                       std::string("\x01\x00", 2);
    if (with_extensions) {
        std::string all;
        for (const auto& e : extensions) all += e;
        body += u16(all.size()) + all;
    }
    const std::size_t n = body.size();
    return std::string{'\x01', static_cast<char>(n >> 16 & 0xff), static_cast<char>(n >> 8 & 0xff), static_cast<char>(n & 0xff)} +
           body;
}

/// `message` in TLS handshake records of at most `fragment` payload bytes.
inline std::string records(const std::string& message, std::size_t fragment = 16384) {
    std::string out;
    for (std::size_t at = 0; at < message.size(); at += fragment) {
        const std::string part = message.substr(at, fragment);
        out += std::string("\x16\x03\x01", 3) + u16(part.size()) + part;
    }
    return out;
}

/// A one-record ClientHello naming `name` plus a supported_versions extension.
inline std::string client_hello_for(const std::string& name) {
    return records(hello_message({sni_extension({name}), extension(43, std::string("\x02\x03\x04", 3))}));
}

}  // namespace bottle::egress::testing
