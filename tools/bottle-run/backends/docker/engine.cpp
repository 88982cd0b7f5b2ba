// The Engine API client: a unix socket, a request written by hand (it is a
// few fixed fields), the reply read with Beast's HTTP parser, every wait
// bounded by poll(2) against one deadline.
#include "bottle-run/backends/docker/engine.hpp"

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace bottle::run::docker {

namespace http = boost::beast::http;
using clock = std::chrono::steady_clock;

result<endpoint> endpoint_from(const std::optional<std::string>& docker_host) {
    if (!docker_host || docker_host->empty()) return endpoint{"/var/run/docker.sock", "unix:///var/run/docker.sock"};
    const std::string& h = *docker_host;
    if (h.rfind("unix://", 0) == 0) {
        std::string path = h.substr(7);
        if (path.empty() || path.front() != '/') return make_error(errc::invalid_argument, "DOCKER_HOST=" + h + ": the socket path must be absolute");
        if (path.size() >= sizeof(sockaddr_un{}.sun_path))
            return make_error(errc::invalid_argument, "DOCKER_HOST=" + h + ": the socket path is too long for a unix socket");
        return endpoint{std::move(path), h};
    }
    return make_error(errc::unsupported, "DOCKER_HOST=" + h +
                                             ": only unix:// sockets are supported (a daemon reached over tcp is root for "
                                             "anyone who reaches it; tunnel a unix socket instead)");
}

std::string daemon_message(const std::string& body) {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (!ec && v.is_object())
        if (const auto* m = v.get_object().if_contains("message"); m && m->is_string()) return std::string(m->get_string());
    return body.substr(0, 300);
}

std::string url_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
        else out += {'%', hex[c >> 4], hex[c & 15]};
    }
    return out;
}

namespace {

int remaining_ms(clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

result<os::unique_fd> connect_unix(const endpoint& ep) {
    os::unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return make_error(errc::io_error, std::string("docker: socket: ") + std::strerror(errno));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, ep.socket_path.c_str(), ep.socket_path.size());
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
        return make_error(errc::io_error, "docker: cannot reach the daemon at " + ep.spec + ": " + std::strerror(errno));
    return fd;
}

result<void> write_all(int fd, const std::string& bytes, clock::time_point deadline) {
    std::size_t off = 0;
    while (off < bytes.size()) {
        pollfd p{fd, POLLOUT, 0};
        const int r = ::poll(&p, 1, remaining_ms(deadline));
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) return make_error(errc::timeout, "docker: the daemon did not take the request in time");
        const ssize_t w = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return make_error(errc::io_error, std::string("docker: write: ") + std::strerror(errno));
        }
        off += static_cast<std::size_t>(w);
    }
    return {};
}

std::string request_text(const std::string& method, const std::string& target, const std::optional<std::string>& body,
                         const std::string& content_type, bool upgrade) {
    std::string r = method + " " + api_prefix + target + " HTTP/1.1\r\nHost: docker\r\nUser-Agent: bottle-run\r\n";
    if (upgrade) r += "Connection: Upgrade\r\nUpgrade: tcp\r\n";
    else r += "Connection: close\r\n";
    if (body) r += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body->size()) + "\r\n";
    else if (method == "POST") r += "Content-Length: 0\r\n";
    r += "\r\n";
    if (body) r += *body;
    return r;
}

/// A connection to the daemon with one request written on it.
result<os::unique_fd> send_request(const endpoint& ep, const std::string& request, clock::time_point deadline) {
    auto fd = connect_unix(ep);
    if (!fd) return fd.error();
    if (auto w = write_all(fd->get(), request, deadline); !w) return w.error();
    return fd;
}

/// Reads until `parser` is done (or, with `header_only`, its header is);
/// returns the bytes read past what the parser consumed.
/// `after_put` (when set) runs after each read is parsed: a streamed reply's progress.
template <class Parser>
result<std::string> read_reply(int fd, Parser& parser, bool header_only, clock::time_point deadline,
                               const std::function<void()>& after_put = {}) {
    std::string pending;
    char buf[65536];
    bool eof = false;
    while (true) {
        boost::beast::error_code ec;
        while (!pending.empty()) {
            const auto used = parser.put(boost::asio::buffer(pending.data(), pending.size()), ec);
            pending.erase(0, used);
            if (ec == http::error::need_more) { ec = {}; break; }
            if (ec) return make_error(errc::io_error, "docker: malformed reply from the daemon: " + ec.message());
            if (parser.is_done() || (header_only && parser.is_header_done())) return pending;
            if (used == 0) break;
        }
        if (after_put) after_put();
        if (parser.is_done() || (header_only && parser.is_header_done())) return pending;
        if (eof) {
            parser.put_eof(ec);
            if (ec || !parser.is_done()) return make_error(errc::io_error, "docker: the daemon closed the connection mid-reply");
            return pending;
        }
        pollfd p{fd, POLLIN, 0};
        const int r = ::poll(&p, 1, remaining_ms(deadline));
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) return make_error(errc::timeout, "docker: no reply from the daemon in time");
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return make_error(errc::io_error, std::string("docker: read: ") + std::strerror(errno));
        }
        if (n == 0) eof = true;
        else pending.append(buf, static_cast<std::size_t>(n));
    }
}

/// BOTTLE_RUN_DOCKER_TRACE=1: one line per call on stderr (what the launch
/// time is made of).
void trace(const std::string& method, const std::string& target, unsigned status, clock::time_point start) {
    static const bool on = [] {
        const char* t = std::getenv("BOTTLE_RUN_DOCKER_TRACE");
        return t && t[0] == '1';
    }();
    if (!on) return;
    const auto ms = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - start).count() / 1000.0;
    std::fprintf(stderr, "bottle-run: docker: %s %s -> %u (%.1f ms)\n", method.c_str(), target.substr(0, target.find('?')).c_str(), status, ms);
}

}  // namespace

namespace {

/// One request and its whole reply; `on_body` (when set) sees the body so
/// far after each read once the header is in (a streamed reply's progress).
result<reply> exchange(const endpoint& ep, const std::string& method, const std::string& target, const std::optional<std::string>& body,
                       const std::string& content_type, std::chrono::milliseconds timeout,
                       const std::function<void(const std::string&)>& on_body) {
    const auto deadline = clock::now() + timeout;
    auto fd = send_request(ep, request_text(method, target, body, content_type, false), deadline);
    if (!fd) return fd.error();
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(64 * 1024 * 1024);
    if (method == "HEAD") parser.skip(true);
    std::function<void()> progress;
    if (on_body) progress = [&] {
        if (parser.is_header_done()) on_body(parser.get().body());
    };
    auto r = read_reply(fd->get(), parser, false, deadline, progress);
    if (!r) return r.error();
    trace(method, target, parser.get().result_int(), deadline - timeout);
    return reply{parser.get().result_int(), std::move(parser.get().body())};
}

}  // namespace

result<reply> engine::call(const std::string& method, const std::string& target, const std::optional<std::string>& body,
                           std::chrono::milliseconds timeout, const std::string& content_type) const {
    return exchange(ep_, method, target, body, content_type, timeout, {});
}

result<reply> engine::call_streaming(const std::string& method, const std::string& target, const std::string& body,
                                     const std::string& content_type, std::chrono::milliseconds timeout,
                                     const std::function<void(const std::string&)>& on_body) const {
    return exchange(ep_, method, target, body, content_type, timeout, on_body);
}

result<boost::json::value> engine::call_json(const std::string& method, const std::string& target, const std::optional<std::string>& body,
                                             std::chrono::milliseconds timeout) const {
    auto r = call(method, target, body, timeout);
    if (!r) return r.error();
    if (r->status < 200 || r->status >= 300) {
        const errc code = r->status == 404 ? errc::not_found : r->status == 409 ? errc::conflict : errc::io_error;
        return make_error(code, "docker: " + method + " " + target.substr(0, target.find('?')) + ": " + std::to_string(r->status) + " " +
                                    daemon_message(r->body));
    }
    if (r->body.empty()) return boost::json::value(nullptr);
    boost::system::error_code ec;
    auto v = boost::json::parse(r->body, ec);
    if (ec) return make_error(errc::parse_error, "docker: " + target + ": the reply is not JSON");
    return v;
}

result<hijacked> engine::hijack(const std::string& target) const {
    const auto deadline = clock::now() + std::chrono::seconds(30);
    auto fd = send_request(ep_, request_text("POST", target, std::nullopt, "", true), deadline);
    if (!fd) return fd.error();
    http::response_parser<http::empty_body> parser;
    parser.skip(true);  // what follows the header is the raw stream
    auto early = read_reply(fd->get(), parser, true, deadline);
    if (!early) return early.error();
    const unsigned status = parser.get().result_int();
    trace("POST", target, status, deadline - std::chrono::seconds(30));
    if (status != 101 && status != 200)
        return make_error(status == 404 ? errc::not_found : errc::io_error, "docker: attach: the daemon answered " + std::to_string(status));
    return hijacked{std::move(*fd), std::move(*early)};
}

}  // namespace bottle::run::docker
