#include "proxy.hpp"

#include "dns.hpp"

#include <arpa/inet.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace bottle::escape::probe::support {

namespace {


std::string base64(std::string_view in) {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += tbl[(v >> 6) & 63];
        out += tbl[v & 63];
    }
    if (i < in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += i + 1 < in.size() ? tbl[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}


}  // namespace

namespace {

// Why no proxy can be used: "" when none is set at all.
std::string unusable_proxies() {
    std::string why;
    for (const auto& p : proxies_from_env())
        why += (why.empty() ? "" : "; ") + p.var + "=" + p.url + ": " + (p.problem.empty() ? "unusable" : p.problem);
    return why;
}

}  // namespace

std::optional<proxy_endpoint> proxy_under_test(report& rep) {
    if (auto px = http_proxy()) return px;
    if (const std::string why = unusable_proxies(); !why.empty())
        rep.error("a proxy is configured but the probe cannot use it: " + why);
    else
        rep.na(protocol::applicability::no_proxy, "no proxy in the environment (" + proxy_env_summary() + "): see net.*");
    return std::nullopt;
}

std::optional<proxy_endpoint> proxy_channel(report& rep, std::string_view channel) {
    if (auto px = http_proxy()) return px;
    if (const std::string why = unusable_proxies(); !why.empty())
        rep.not_made(channel, "use the proxy in the environment", "a proxy is configured but unusable: " + why);
    else
        rep.channel_na(channel, protocol::applicability::no_proxy, "find a proxy in the environment",
                       "none: " + proxy_env_summary());
    return std::nullopt;
}

std::string proxy_auth_header(const proxy_endpoint& px) {
    if (px.userinfo.empty()) return {};
    return "Proxy-Authorization: Basic " + base64(px.userinfo) + "\r\n";
}

std::string route_label(const std::optional<proxy_endpoint>& px) {
    return px ? "via proxy " + px->where() : "direct (no proxy in the environment)";
}

namespace {

// Splits "host:port" / "[v6]:port" (port defaults to `dflt`).
void split_authority(std::string_view a, std::string& host, std::uint16_t& port, std::uint16_t dflt) {
    port = dflt;
    if (!a.empty() && a.front() == '[') {
        const auto close = a.find(']');
        host = std::string(a.substr(1, close == std::string_view::npos ? a.size() - 1 : close - 1));
        if (close != std::string_view::npos && close + 1 < a.size() && a[close + 1] == ':')
            port = static_cast<std::uint16_t>(std::atoi(std::string(a.substr(close + 2)).c_str()));
        return;
    }
    const auto colon = a.rfind(':');
    host = std::string(a.substr(0, colon));
    if (colon != std::string_view::npos) port = static_cast<std::uint16_t>(std::atoi(std::string(a.substr(colon + 1)).c_str()));
}

// SOCKS5 (no auth) CONNECT to authority through px, then payload; like proxy_connect.
hop_result socks_connect(const proxy_endpoint& px, std::string_view authority, std::string_view payload, int budget_ms) {
    const auto deadline = clock_type::now() + std::chrono::milliseconds(budget_ms);
    hop_result h;
    h.action = "tcp connect " + px.where() + ", SOCKS5 CONNECT " + std::string(authority) + ", then send " +
               std::to_string(payload.size()) + " bytes";
    std::string host;
    std::uint16_t port = 0;
    split_authority(authority, host, port, 443);
    std::string req("\x05\x01\x00", 3);
    unsigned char b[16];
    if (inet_pton(AF_INET, host.c_str(), b) == 1) {
        req += '\x01';
        req.append(reinterpret_cast<char*>(b), 4);
    } else if (inet_pton(AF_INET6, host.c_str(), b) == 1) {
        req += '\x04';
        req.append(reinterpret_cast<char*>(b), 16);
    } else {
        req += '\x03';
        req += static_cast<char>(std::min<std::size_t>(host.size(), 255));
        req += host.substr(0, 255);
    }
    req += static_cast<char>(port >> 8);
    req += static_cast<char>(port & 0xff);
    tcp_stream s;
    if (!s.open(px.ip, px.port, std::min(500, ms_left(deadline)))) {
        h.outcome = "proxy connect: " + s.error() + " (the proxy could not be asked)";
        return h;
    }
    h.made = true;
    if (!s.send_all(std::string("\x05\x01\x00", 3), ms_left(deadline))) {
        h.outcome = "proxy: " + s.error();
        return h;
    }
    const std::string choice = s.read(std::min(600, ms_left(deadline)), {}, 2);
    if (choice.size() < 2 || choice[0] != 5 || choice[1] != 0) {
        h.reply = choice;
        h.outcome = choice.empty() ? "SOCKS5: no method choice" : "SOCKS5: no-auth method refused";
        return h;
    }
    if (!s.send_all(req, ms_left(deadline))) {
        h.outcome = "SOCKS5: " + s.error();
        return h;
    }
    h.reply = s.read(std::min(900, ms_left(deadline)), {}, 4);
    if (h.reply.size() < 2 || h.reply[0] != 5) {
        h.outcome = "SOCKS5: no CONNECT reply";
        return h;
    }
    if (h.reply[1] != 0) {
        h.outcome = "SOCKS5: CONNECT refused, reply code " + std::to_string(static_cast<unsigned char>(h.reply[1]));
        return h;
    }
    // Rest of the reply (bound address), then the payload.
    const unsigned char atyp = h.reply.size() >= 4 ? static_cast<unsigned char>(h.reply[3]) : 1;
    const std::size_t rest = atyp == 4 ? 18 : atyp == 1 ? 6 : 0;
    if (rest) h.reply += s.read(std::min(300, ms_left(deadline)), {}, rest);
    h.outcome = "SOCKS5: CONNECT granted";
    if (!payload.empty() && !s.send_all(payload, ms_left(deadline))) {
        h.outcome += "; send: " + s.error();
        return h;
    }
    h.reached = true;
    const std::string back = s.read(std::min(700, ms_left(deadline)));
    h.reply += back;
    h.outcome += "; sent " + std::to_string(payload.size()) + " bytes, " + std::to_string(back.size()) + " bytes back";
    return h;
}

}  // namespace

hop_result proxy_connect(const proxy_endpoint& px, std::string_view authority, std::string_view payload, int budget_ms,
                         std::string_view extra_headers) {
    if (px.is_socks()) return socks_connect(px, authority, payload, budget_ms);
    const auto deadline = clock_type::now() + std::chrono::milliseconds(budget_ms);
    hop_result h;
    h.action = "tcp connect " + px.where() + ", CONNECT " + std::string(authority) + ", then send " +
               std::to_string(payload.size()) + " bytes";
    tcp_stream s;
    if (!s.open(px.ip, px.port, std::min(500, ms_left(deadline)))) {
        h.outcome = "proxy connect: " + s.error() + " (the proxy could not be asked)";
        return h;
    }
    h.made = true;
    const std::string req = "CONNECT " + std::string(authority) + " HTTP/1.1\r\nHost: " + std::string(authority) +
                            "\r\nUser-Agent: bottle-probe\r\n" + proxy_auth_header(px) + std::string(extra_headers) + "\r\n";
    if (!s.send_all(req, ms_left(deadline))) {
        h.outcome = "proxy: " + s.error();
        return h;
    }
    h.reply = s.read(std::min(900, ms_left(deadline)), "\r\n\r\n");
    const auto st = parse_status(h.reply);
    if (!st.valid) {
        h.outcome = h.reply.empty() ? "proxy gave no answer" + std::string(s.closed_by_peer() ? " (closed)" : " (timeout)")
                                    : "proxy answer is not HTTP (" + std::to_string(h.reply.size()) + " bytes)";
        return h;
    }
    h.outcome = "proxy: " + st.line;
    if (st.code < 200 || st.code > 299) return h;
    if (!payload.empty() && !s.send_all(payload, ms_left(deadline))) {
        h.outcome += "; tunnel send: " + s.error();
        return h;
    }
    h.reached = true;
    const std::string back = s.read(std::min(700, ms_left(deadline)));
    h.reply += back;
    h.outcome += "; sent " + std::to_string(payload.size()) + " bytes through the tunnel, " + std::to_string(back.size()) +
                 " bytes back";
    return h;
}

hop_result proxy_send(const proxy_endpoint& px, std::string_view request, int budget_ms) {
    if (px.is_socks()) {
        // A SOCKS proxy has no request line: tunnel to the URI's authority, send the request as is.
        std::string_view target = request.substr(request.find(' ') == std::string_view::npos ? 0 : request.find(' ') + 1);
        target = target.substr(0, target.find(' '));
        std::string authority;
        if (const auto sep = target.find("://"); sep != std::string_view::npos) {
            authority = std::string(target.substr(sep + 3, target.find('/', sep + 3) - (sep + 3)));
        } else if (const auto host = request.find("\r\nHost: "); host != std::string_view::npos) {
            authority = std::string(request.substr(host + 8, request.find("\r\n", host + 8) - (host + 8)));
        }
        std::string host;
        std::uint16_t port = 80;
        split_authority(authority, host, port, 80);
        const bool v6 = host.find(':') != std::string::npos;
        return socks_connect(px, (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port), request, budget_ms);
    }
    const auto deadline = clock_type::now() + std::chrono::milliseconds(budget_ms);
    hop_result h;
    const auto sp = request.find(' '), sp2 = request.find(' ', sp == std::string_view::npos ? 0 : sp + 1);
    h.action = "tcp connect " + px.where() + ", send " +
               std::string(request.substr(0, sp2 == std::string_view::npos ? std::min<std::size_t>(request.size(), 120) : sp2));
    tcp_stream s;
    if (!s.open(px.ip, px.port, std::min(500, ms_left(deadline)))) {
        h.outcome = "proxy connect: " + s.error() + " (the proxy could not be asked)";
        return h;
    }
    h.made = true;
    if (!s.send_all(request, ms_left(deadline))) {
        h.outcome = "proxy: " + s.error();
        return h;
    }
    h.reply = s.read(std::min(1000, ms_left(deadline)));
    const auto st = parse_status(h.reply);
    const bool sink_body = h.reply.find("bbx-sink") != std::string::npos;
    h.reached = (st.valid && ((st.code >= 200 && st.code <= 299) || st.code == 101)) || sink_body;
    h.outcome = st.valid ? "proxy: " + st.line : (h.reply.empty() ? "no answer" : "non-HTTP answer");
    h.outcome += ", " + std::to_string(h.reply.size()) + " bytes back" + (sink_body ? " (sink body relayed)" : "");
    return h;
}

hop_result direct(std::string_view ip, std::uint16_t port, std::string_view payload, int budget_ms, std::string_view label) {
    const auto deadline = clock_type::now() + std::chrono::milliseconds(budget_ms);
    hop_result h;
    const bool v6 = ip.find(':') != std::string_view::npos;
    const std::string target = (v6 ? "[" + std::string(ip) + "]" : std::string(ip)) + ":" + std::to_string(port);
    h.action = "tcp connect " + target + (label.empty() ? "" : " (" + std::string(label) + ")") + " direct, send " +
               std::to_string(payload.size()) + " bytes";
    tcp_stream s;
    const bool opened = s.open(ip, port, std::min(500, ms_left(deadline)));
    h.made = s.attempted();
    if (!opened) {
        h.outcome = s.error();
        return h;
    }
    if (!payload.empty() && !s.send_all(payload, ms_left(deadline))) {
        h.outcome = "connected; " + s.error();
        return h;
    }
    h.reached = true;
    h.reply = s.read(std::min(900, ms_left(deadline)));
    h.outcome = "connected, sent " + std::to_string(payload.size()) + " bytes, " + std::to_string(h.reply.size()) + " bytes back";
    if (const auto st = parse_status(h.reply); st.valid) h.outcome += " (" + st.line + ")";
    return h;
}

hop_result direct_to_host(std::string_view host, std::uint16_t port, std::string_view payload, int budget_ms,
                          std::string_view fallback_ip) {
    const auto start = clock_type::now();
    const auto l = dns::resolve(host, dns::type_a, std::min(budget_ms / 3, 600));
    std::string ip = l.addresses.empty() ? std::string(fallback_ip) : l.addresses.front();
    const std::string how = l.how == "literal" ? "" : l.addresses.empty() ? "DNS: " + l.how : "resolved by " + l.how;
    if (ip.empty()) {
        hop_result h;
        h.action = "resolve " + std::string(host) + " for a direct connection to port " + std::to_string(port);
        h.outcome = "no address: " + l.how;
        return h;
    }
    const int left = budget_ms - static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start).count());
    std::string label(host);
    if (!how.empty()) label += l.addresses.empty() ? "; " + how + "; lab-plan address used" : "; " + how;
    return direct(ip, port, payload, std::max(left, 300), label);
}

hop_result tunnel(const std::optional<proxy_endpoint>& px, std::string_view host, std::uint16_t port,
                  std::string_view payload, int budget_ms, std::string_view fallback_ip) {
    if (!px) return direct_to_host(host, port, payload, budget_ms, fallback_ip);
    const bool v6 = host.find(':') != std::string_view::npos;
    const std::string authority = (v6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
    return proxy_connect(*px, authority, payload, budget_ms);
}

hop_result http_via(const std::optional<proxy_endpoint>& px, std::string_view host, std::uint16_t port,
                    std::string_view request, int budget_ms, std::string_view fallback_ip) {
    if (!px) return direct_to_host(host, port, request, budget_ms, fallback_ip);
    return proxy_send(*px, request, budget_ms);
}

std::string absolute_get(const context& ctx, const std::optional<proxy_endpoint>& px, std::string_view authority,
                         std::string_view path, std::string_view host_header) {
    std::string p(path);
    if (p.empty() || p.back() != '/') p += '/';
    return "GET http://" + std::string(authority) + p + ctx.tag + " HTTP/1.1\r\nHost: " +
           std::string(host_header.empty() ? authority : host_header) + "\r\nUser-Agent: bottle-probe\r\nX-Bbx-Tag: " +
           ctx.tag + "\r\n" + (px ? proxy_auth_header(*px) : std::string()) + "Connection: close\r\n\r\n";
}

namespace {

// A hop_result as bytes (three length-prefixed strings, then made and
// reached), for a job run in a child process.
void hop_bytes_put(std::string& out, const std::string& s) {
    const std::uint64_t n = s.size();
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out += s;
}

bool hop_bytes_get(std::string_view& in, std::string& s) {
    std::uint64_t n = 0;
    if (in.size() < sizeof n) return false;
    std::memcpy(&n, in.data(), sizeof n);
    in.remove_prefix(sizeof n);
    if (in.size() < n) return false;
    s.assign(in.substr(0, n));
    in.remove_prefix(n);
    return true;
}

// Runs the jobs up to `width` at a time in child processes (each sends its
// result back on a pipe), for a process that cannot start threads. A job
// whose child cannot be forked runs here; one whose child dies without a
// result is recorded as not made (it never counts towards BLOCKED).
std::vector<hop_result> run_hops_in_children(const std::vector<std::function<hop_result()>>& jobs, std::size_t width) {
    std::vector<hop_result> results(jobs.size());
    for (std::size_t first = 0; first < jobs.size(); first += std::max<std::size_t>(width, 1)) {
        const std::size_t last = std::min(jobs.size(), first + std::max<std::size_t>(width, 1));
        std::vector<std::pair<pid_t, int>> children(last - first, {-1, -1});
        for (std::size_t i = first; i < last; ++i) {
            int fds[2] = {-1, -1};
            const pid_t pid = pipe(fds) == 0 ? fork() : -1;
            if (pid == 0) {
                close(fds[0]);
                const hop_result h = jobs[i]();
                std::string out;
                for (const auto* s : {&h.action, &h.outcome, &h.reply}) hop_bytes_put(out, *s);
                out += h.made ? '1' : '0';
                out += h.reached ? '1' : '0';
                for (std::size_t off = 0; off < out.size();) {
                    const ssize_t n = write(fds[1], out.data() + off, out.size() - off);
                    if (n <= 0) break;
                    off += static_cast<std::size_t>(n);
                }
                _exit(0);
            }
            if (pid < 0) {
                for (const int fd : fds)
                    if (fd >= 0) close(fd);
                results[i] = jobs[i]();
                continue;
            }
            close(fds[1]);
            children[i - first] = {pid, fds[0]};
        }
        for (std::size_t i = first; i < last; ++i) {
            const auto [pid, fd] = children[i - first];
            if (pid < 0) continue;
            std::string bytes;
            char buf[8192];
            for (ssize_t n; (n = read(fd, buf, sizeof buf)) != 0;) {
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) break;
                bytes.append(buf, static_cast<std::size_t>(n));
            }
            close(fd);
            waitpid(pid, nullptr, 0);
            std::string_view in(bytes);
            hop_result h;
            if (hop_bytes_get(in, h.action) && hop_bytes_get(in, h.outcome) && hop_bytes_get(in, h.reply) && in.size() == 2) {
                h.made = in[0] == '1';
                h.reached = in[1] == '1';
            } else {
                h = hop_result{};
                h.action = "attempt " + std::to_string(i + 1) + " (run in a child process: threads are refused here)";
                h.outcome = "its process ended without a result";
            }
            results[i] = std::move(h);
        }
    }
    return results;
}

}  // namespace

void record_all(report& rep, const std::vector<std::function<hop_result()>>& jobs, std::size_t width,
                std::string_view channel, const std::vector<std::string>& expects) {
    std::vector<hop_result> results(jobs.size());
    if (threads_usable()) {
        std::vector<std::function<void()>> wrapped;
        wrapped.reserve(jobs.size());
        for (std::size_t i = 0; i < jobs.size(); ++i) wrapped.emplace_back([&, i] { results[i] = jobs[i](); });
        run_parallel(wrapped, width);
    } else {
        results = run_hops_in_children(jobs, width);
    }
    // Replies are labelled by attempt number, not by action text: an action
    // names lab-plan addresses, which must not look like something observed.
    for (std::size_t i = 0; i < results.size(); ++i) {
        auto& r = results[i];
        if (!r.reply.empty()) rep.observe("reply to attempt " + std::to_string(rep.attempts().size() + 1) + ": " + r.reply);
        rep.record(channel, std::move(r.action), std::move(r.outcome), r.made, r.reached);
        if (i < expects.size() && !expects[i].empty()) rep.expect(expects[i]);
    }
}

}  // namespace bottle::escape::probe::support
