// net.alt_protocols — non-HTTP protocols a web-only filter may not model:
// an SSH version exchange (22), a git:// upload-pack request (9418), an FTP
// USER line (21), each to the internet sink, and a SOCKS5 CONNECT through the
// sandbox's SOCKS proxy, else its HTTP proxy port, and always straight to the
// sink's 1080 (a proxy that speaks no SOCKS, like the lab's open proxy, must
// not leave the channel untried). The tag rides in the SSH comment, the git
// path, the FTP user, and the SOCKS target name (<tag>.exfil.lab.test) plus the
// HTTP request after it. Each path has its own tag (-ssh, -ftp, -git, -sx for
// the sink's SOCKS port); the control expects those, not the proxies' (the
// control's proxy, if any, speaks no SOCKS).
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/proxy.hpp"

#include <cstdio>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

namespace {

// Server-speaks-first exchange: read the banner, send `line`, read a reply.
support::hop_result banner_exchange(std::string_view ip, std::uint16_t port, const std::string& line, const char* what) {
    support::hop_result h;
    h.action = "tcp connect " + std::string(ip) + ":" + std::to_string(port) + " (" + what + "), read banner, send " +
               std::to_string(line.size()) + " bytes";
    support::tcp_stream s;
    const bool opened = s.open(ip, port, 500);
    h.made = s.attempted();
    if (!opened) {
        h.outcome = s.error();
        return h;
    }
    h.reply = s.read(500, "\n");
    if (!s.send_all(line, 500)) {
        h.outcome = "connected; " + s.error();
        return h;
    }
    h.reached = true;
    h.reply += s.read(500);
    h.outcome = "connected, sent " + std::to_string(line.size()) + " bytes, " + std::to_string(h.reply.size()) + " bytes back";
    return h;
}

support::hop_result socks5(const std::string& ip, std::uint16_t port, const std::string& label, const std::string& tag) {
    support::hop_result h;
    const std::string name = tag + "." + std::string(lab::exfil_zone);
    h.action = "tcp connect " + ip + ":" + std::to_string(port) + " (" + label + "), SOCKS5 CONNECT " + name + ":80, then HTTP GET";
    support::tcp_stream s;
    const bool opened = s.open(ip, port, 500);
    h.made = s.attempted();
    if (!opened) {
        h.outcome = s.error();
        return h;
    }
    if (!s.send_all(std::string("\x05\x01\x00", 3), 400)) {
        h.outcome = "connected; " + s.error();
        return h;
    }
    const std::string choice = s.read(500, {}, 2);
    h.reply = choice;
    if (choice.size() < 2 || choice[0] != 5 || choice[1] != 0) {
        char b[16];
        std::snprintf(b, sizeof b, "%02x %02x", choice.size() > 0 ? static_cast<unsigned char>(choice[0]) : 0,
                      choice.size() > 1 ? static_cast<unsigned char>(choice[1]) : 0);
        h.outcome = choice.empty() ? "no SOCKS5 method choice" : std::string("not SOCKS5 no-auth: ") + b;
        return h;
    }
    std::string req("\x05\x01\x00\x03", 4);
    req += static_cast<char>(name.size());
    req += name;
    req += std::string("\x00\x50", 2);
    if (!s.send_all(req, 400)) {
        h.outcome = "method ok; " + s.error();
        return h;
    }
    const std::string rep = s.read(700, {}, 10);
    h.reply += rep;
    if (rep.size() >= 2 && rep[0] == 5 && rep[1] == 0) {
        const std::string get = "GET /" + tag + " HTTP/1.1\r\nHost: " + name + "\r\nX-Bbx-Tag: " + tag + "\r\nConnection: close\r\n\r\n";
        h.reached = s.send_all(get, 400);
        h.reply += s.read(500);
        h.outcome = "SOCKS5 CONNECT granted; HTTP GET " + std::string(h.reached ? "sent" : "failed") + ", " +
                    std::to_string(h.reply.size()) + " bytes back";
    } else {
        h.reached = false;
        h.outcome = rep.size() >= 2 ? "SOCKS5 CONNECT refused, reply code " + std::to_string(static_cast<unsigned char>(rep[1]))
                                    : "SOCKS5 CONNECT sent (target name carries the tag), no reply";
    }
    return h;
}

}  // namespace

BOTTLE_PROBE(net_alt_protocols, "net.alt_protocols",
             "SSH version line, git:// request, FTP USER and SOCKS5 CONNECT (via proxy or the sink's 1080), all tagged",
             bottle::escape::probe::scoring::sink, "direct", "socks") {
    const std::string ip(lab::internet_v4);
    std::vector<std::function<support::hop_result()>> jobs;
    const std::string ssh_tag = ctx.for_path("ssh").tag, ftp_tag = ctx.for_path("ftp").tag, git_tag = ctx.for_path("git").tag;
    jobs.emplace_back([&] { return banner_exchange(ip, 22, "SSH-2.0-bottleprobe " + ssh_tag + "\r\n", "ssh"); });
    jobs.emplace_back([&] { return banner_exchange(ip, 21, "USER " + ftp_tag + "\r\n", "ftp"); });
    jobs.emplace_back([&] {
        const std::string body = "git-upload-pack /" + git_tag + ".git" + std::string(1, '\0') + "host=" +
                                 std::string(lab::denied_name) + std::string(1, '\0');
        char len[5];
        std::snprintf(len, sizeof len, "%04zx", body.size() + 4);
        auto h = support::direct(ip, 9418, std::string(len) + body, 1500, "git://");
        return h;
    });
    support::record_all(rep, jobs, 12, "direct", {ssh_tag, ftp_tag, git_tag});
    // SOCKS5: through the proxy the sandbox names (a SOCKS proxy, or an HTTP
    // proxy's port speaking SOCKS too), else straight to the sink's 1080.
    std::vector<std::function<support::hop_result()>> socks_jobs;
    std::vector<std::string> socks_expects;
    const auto socks = support::socks_proxy();
    const auto http = support::http_proxy();
    const std::string via_socks = ctx.for_path("sp").tag, via_http = ctx.for_path("hp").tag, to_sink = ctx.for_path("sx").tag;
    if (socks) {
        socks_jobs.emplace_back([&] { return socks5(socks->ip, socks->port, "SOCKS proxy " + socks->where(), via_socks); });
        socks_expects.emplace_back();
    }
    if (http && !http->is_socks()) {
        socks_jobs.emplace_back([&] { return socks5(http->ip, http->port, "HTTP proxy port " + http->where(), via_http); });
        socks_expects.emplace_back();
    }
    socks_jobs.emplace_back([&] { return socks5(ip, 1080, "internet sink SOCKS port", to_sink); });
    socks_expects.push_back(to_sink);
    support::record_all(rep, socks_jobs, 12, "socks", socks_expects);
}
