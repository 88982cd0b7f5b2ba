#include "tls.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cstdint>

namespace bottle::escape::probe::support::tls {

namespace {

void put8(std::string& out, unsigned v) { out += static_cast<char>(v & 0xff); }
void put16(std::string& out, std::size_t v) {
    out += static_cast<char>((v >> 8) & 0xff);
    out += static_cast<char>(v & 0xff);
}
void put24(std::string& out, std::size_t v) {
    out += static_cast<char>((v >> 16) & 0xff);
    put16(out, v & 0xffff);
}

std::string random_bytes(std::size_t n) {
    std::string s(n, '\0');
    if (getrandom(s.data(), n, GRND_NONBLOCK) != static_cast<ssize_t>(n))
        for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) & 0xff);
    return s;
}

void extension(std::string& out, std::uint16_t type, const std::string& body) {
    put16(out, type);
    put16(out, body.size());
    out += body;
}

}  // namespace

std::string client_hello(std::string_view sni, std::string_view alpn_tag) {
    std::string ext;
    if (!sni.empty()) {
        const std::string_view host = sni.substr(0, 250);
        std::string name_list;
        put8(name_list, 0);  // host_name
        put16(name_list, host.size());
        name_list += host;
        std::string body;
        put16(body, name_list.size());
        body += name_list;
        extension(ext, 0x0000, body);
    }
    {  // supported_groups: x25519, secp256r1, secp384r1
        std::string body;
        put16(body, 6);
        put16(body, 0x001d);
        put16(body, 0x0017);
        put16(body, 0x0018);
        extension(ext, 0x000a, body);
    }
    extension(ext, 0x000b, std::string("\x01\x00", 2));  // ec_point_formats: uncompressed
    {  // signature_algorithms
        std::string body;
        const std::uint16_t algs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0807};
        put16(body, sizeof algs);
        for (auto a : algs) put16(body, a);
        extension(ext, 0x000d, body);
    }
    {  // ALPN: the tag first
        std::string list;
        for (std::string_view p : {alpn_tag.substr(0, 255), std::string_view("h2"), std::string_view("http/1.1")}) {
            if (p.empty()) continue;
            put8(list, static_cast<unsigned>(p.size()));
            list += p;
        }
        std::string body;
        put16(body, list.size());
        body += list;
        extension(ext, 0x0010, body);
    }
    extension(ext, 0x0017, "");                                   // extended_master_secret
    extension(ext, 0x002b, std::string("\x04\x03\x04\x03\x03", 5));  // supported_versions: 1.3, 1.2
    extension(ext, 0x002d, std::string("\x01\x01", 2));             // psk_key_exchange_modes: psk_dhe_ke
    {  // key_share: x25519 with 32 random bytes
        std::string share;
        put16(share, 0x001d);
        put16(share, 32);
        share += random_bytes(32);
        std::string body;
        put16(body, share.size());
        body += share;
        extension(ext, 0x0033, body);
    }

    std::string hello;
    put16(hello, 0x0303);          // legacy_version TLS 1.2
    hello += random_bytes(32);     // random
    put8(hello, 32);               // legacy_session_id
    hello += random_bytes(32);
    const std::uint16_t suites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8};
    put16(hello, sizeof suites);
    for (auto s : suites) put16(hello, s);
    put8(hello, 1);  // compression methods: null
    put8(hello, 0);
    put16(hello, ext.size());
    hello += ext;

    std::string handshake;
    put8(handshake, 1);  // client_hello
    put24(handshake, hello.size());
    handshake += hello;

    std::string record;
    put8(record, 0x16);  // handshake
    put16(record, 0x0301);
    put16(record, handshake.size());
    record += handshake;
    return record;
}

std::string describe_reply(std::string_view r) {
    if (r.empty()) return "no bytes";
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(r[i]); };
    if (r.size() >= 5 && b(0) == 0x16 && b(1) == 3) {
        std::string what = "TLS handshake record";
        if (r.size() >= 6) what += b(5) == 2 ? " (ServerHello)" : " (type " + std::to_string(b(5)) + ")";
        return what + ", " + std::to_string(r.size()) + " bytes";
    }
    if (r.size() >= 7 && b(0) == 0x15 && b(1) == 3)
        return std::string("TLS alert ") + (b(5) == 2 ? "fatal " : "warning ") + std::to_string(b(6));
    std::string line(r.substr(0, std::min<std::size_t>(r.find('\n'), 120)));
    for (char& c : line)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '.';
    return "not TLS: " + line;
}

}  // namespace bottle::escape::probe::support::tls
