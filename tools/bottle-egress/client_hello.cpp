// tools/bottle-egress/client_hello.cpp — see client_hello.hpp.
#include "bottle-egress/client_hello.hpp"

#include <cstdint>
#include <vector>

namespace bottle::egress {

namespace {

constexpr std::uint8_t record_handshake = 22;
constexpr std::uint8_t handshake_client_hello = 1;
constexpr std::size_t max_record_payload = 16384;  // RFC 8446 5.1: 2^14
constexpr std::uint16_t ext_server_name = 0x0000;
constexpr std::uint16_t ext_ech = 0xfe0d;          // RFC 9849 (and drafts 0xfe08..0xfe0c)
constexpr std::uint16_t ext_esni_draft = 0xffce;

error not_tls(std::string message) { return make_error(errc::parse_error, "not a TLS ClientHello: " + std::move(message)); }
error malformed(std::string message) { return make_error(errc::parse_error, "malformed ClientHello: " + std::move(message)); }

/// Bounds-checked big-endian reader over one message.
class reader {
public:
    explicit reader(std::string_view bytes) : bytes_(bytes) {}
    [[nodiscard]] std::size_t left() const noexcept { return bytes_.size() - at_; }
    bool u8(std::size_t& out) { return number(1, out); }
    bool u16(std::size_t& out) { return number(2, out); }
    bool take(std::size_t n, std::string_view& out) {
        if (left() < n) return false;
        out = bytes_.substr(at_, n);
        at_ += n;
        return true;
    }

private:
    bool number(std::size_t width, std::size_t& out) {
        if (left() < width) return false;
        out = 0;
        for (std::size_t i = 0; i < width; ++i) out = (out << 8) | static_cast<unsigned char>(bytes_[at_ + i]);
        at_ += width;
        return true;
    }
    std::string_view bytes_;
    std::size_t at_ = 0;
};

result<std::string> server_name_of(std::string_view data) {
    reader r(data);
    std::size_t list_len = 0;
    if (!r.u16(list_len) || list_len != r.left() || list_len == 0) return malformed("server_name list length");
    std::string name;
    int names = 0;
    while (r.left() > 0) {
        std::size_t type = 0, len = 0;
        std::string_view value;
        if (!r.u8(type) || !r.u16(len) || len == 0 || !r.take(len, value)) return malformed("server_name entry");
        if (type != 0) return make_error(errc::unsupported, "server_name of a non-DNS type " + std::to_string(type));
        if (++names > 1) return make_error(errc::unsupported, "several server names in one ClientHello");
        name = std::string(value);
    }
    return name;
}

result<std::string> parse_hello_body(std::string_view body) {
    reader r(body);
    std::size_t version = 0, len = 0;
    std::string_view skip;
    if (!r.u16(version)) return malformed("truncated version");
    if (version < 0x0301 || version > 0x0303) return not_tls("legacy_version " + std::to_string(version));
    if (!r.take(32, skip)) return malformed("truncated random");
    if (!r.u8(len) || len > 32 || !r.take(len, skip)) return malformed("session id");
    if (!r.u16(len) || len < 2 || len % 2 != 0 || !r.take(len, skip)) return malformed("cipher suites");
    if (!r.u8(len) || len < 1 || !r.take(len, skip)) return malformed("compression methods");
    if (r.left() == 0) return make_error(errc::unsupported, "ClientHello without extensions has no server_name (SNI)");
    if (!r.u16(len) || len != r.left()) return malformed("extensions length");
    std::vector<std::size_t> seen;
    std::optional<std::string> name;
    while (r.left() > 0) {
        std::size_t type = 0, ext_len = 0;
        std::string_view data;
        if (!r.u16(type) || !r.u16(ext_len) || !r.take(ext_len, data)) return malformed("truncated extension");
        for (std::size_t s : seen) {
            if (s == type) return malformed("duplicate extension " + std::to_string(type));
        }
        seen.push_back(type);
        if (type == ext_ech || (type >= 0xfe08 && type <= 0xfe0c) || type == ext_esni_draft) {
            return make_error(errc::unsupported, "Encrypted Client Hello (the real server name is hidden)");
        }
        if (type == ext_server_name) {
            auto n = server_name_of(data);
            if (!n) return n.error();
            name = std::move(*n);
        }
    }
    if (!name) return make_error(errc::unsupported, "ClientHello without server_name (SNI)");
    return std::move(*name);
}

}  // namespace

result<std::optional<client_hello>> parse_client_hello(std::string_view buffer, std::size_t max_bytes) {
    // Refuse non-TLS bytes as soon as they are visible.
    if (!buffer.empty() && static_cast<unsigned char>(buffer[0]) != record_handshake) {
        return not_tls("first byte is not a handshake record");
    }
    if (buffer.size() >= 2 && buffer[1] != 3) return not_tls("record version is not 3.x");
    std::string handshake;  // reassembled handshake bytes
    std::size_t offset = 0;
    while (true) {
        if (buffer.size() - offset < 5) {
            if (offset + 5 > max_bytes) return make_error(errc::limit_exceeded, "ClientHello larger than the buffer limit");
            return std::optional<client_hello>();
        }
        const auto* h = reinterpret_cast<const unsigned char*>(buffer.data() + offset);
        if (h[0] != record_handshake) return not_tls("a non-handshake record before the ClientHello ended");
        if (h[1] != 3 || h[2] < 1 || h[2] > 4) return not_tls("record version " + std::to_string(h[1]) + "." + std::to_string(h[2]));
        const std::size_t len = (std::size_t{h[3]} << 8) | h[4];
        if (len == 0 || len > max_record_payload) return malformed("record length " + std::to_string(len));
        if (offset + 5 + len > max_bytes) return make_error(errc::limit_exceeded, "ClientHello larger than the buffer limit");
        if (buffer.size() - offset - 5 < len) {
            // Check the handshake header early when it is already visible.
            handshake.append(buffer.substr(offset + 5));
            if (!handshake.empty() && static_cast<unsigned char>(handshake[0]) != handshake_client_hello) {
                return not_tls("first handshake message is not a ClientHello");
            }
            return std::optional<client_hello>();
        }
        handshake.append(buffer.substr(offset + 5, len));
        offset += 5 + len;
        if (static_cast<unsigned char>(handshake[0]) != handshake_client_hello) {
            return not_tls("first handshake message is not a ClientHello");
        }
        if (handshake.size() < 4) continue;
        const auto* m = reinterpret_cast<const unsigned char*>(handshake.data());
        const std::size_t body_len = (std::size_t{m[1]} << 16) | (std::size_t{m[2]} << 8) | m[3];
        if (4 + body_len > max_bytes) return make_error(errc::limit_exceeded, "ClientHello larger than the buffer limit");
        if (handshake.size() < 4 + body_len) continue;
        if (handshake.size() > 4 + body_len) return malformed("handshake bytes after the ClientHello in its record");
        auto name = parse_hello_body(std::string_view(handshake).substr(4, body_len));
        if (!name) return name.error();
        return std::optional<client_hello>(client_hello{std::move(*name), offset});
    }
}

}  // namespace bottle::egress
