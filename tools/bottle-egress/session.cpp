// tools/bottle-egress/session.cpp — see session.hpp. The absolute-URI HTTP
// path is in http_forward.cpp.
#include "bottle-egress/session.hpp"
#include "bottle-egress/awaitable.hpp"

#include "bottle-egress/client_hello.hpp"
#include "bottle-egress/server.hpp"
#include "bottle-egress/text.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace bottle::egress {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t read_chunk = 16 * 1024;

const char* status_phrase(int status) {
    switch (status) {
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 431: return "Request Header Fields Too Large";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "Error";
    }
}

}  // namespace

std::string header_safe(std::string_view text) {
    std::string out(text.substr(0, 200));
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f) c = '?';
    }
    return out;
}

std::string error_response(int status, std::string_view reason) {
    const std::string why = header_safe(reason);
    const std::string body = why + "\n";
    return "HTTP/1.1 " + std::to_string(status) + " " + status_phrase(status) +
           "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\nX-Bottle-Egress-Reason: " + why + "\r\n\r\n" + body;
}

session::session(proxy_context& ctx, client_socket client, std::string client_name)
    : ctx_(ctx),
      client_(std::move(client)),
      upstream_(client_.get_executor()),
      timer_(client_.get_executor()),
      client_text_(std::move(client_name)) {
    ctx_.sessions.insert(this);
    boost::system::error_code ec;
    client_.non_blocking(true, ec);
}

session::~session() {
    ctx_.sessions.erase(this);
    if (counted_tunnel_) --ctx_.tunnels;
}

void session::start() {
    set_phase(ctx_.cfg.limits.head_timeout, "request head timeout");
    auto self = shared_from_this();
    asio::co_spawn(client_.get_executor(), [self]() -> asio::awaitable<void> { co_await self->serve(); }, asio::detached);
    asio::co_spawn(client_.get_executor(), [self]() -> asio::awaitable<void> { co_await self->watchdog(); }, asio::detached);
}

void session::close() {
    closed_ = true;
    boost::system::error_code ignored;
    client_.close(ignored);
    upstream_.close(ignored);
    timer_.cancel();
}

void session::set_phase(std::chrono::milliseconds limit, std::string reason, phase p) {
    phase_ = p;
    timeout_reason_ = std::move(reason);
    const auto deadline = clock::now() + limit;
    const bool earlier = deadline < deadline_;
    deadline_ = deadline;
    if (earlier) timer_.cancel();  // the watchdog re-arms for the earlier deadline
}

asio::awaitable<void> session::watchdog() {
    while (!closed_) {
        timer_.expires_at(deadline_);
        co_await timer_.async_wait(nothrow);
        if (closed_) break;
        const auto now = clock::now();
        if (phase_ == phase::idle) {
            const auto due = activity_.last + ctx_.cfg.limits.idle_timeout;
            if (due > now) {
                deadline_ = due;
                continue;
            }
        } else if (now < deadline_) {
            continue;
        }
        timed_out_ = true;
        if (phase_ == phase::connect) {  // only the dial gave up: the client still gets an answer
            boost::system::error_code ignored;
            upstream_.close(ignored);
            deadline_ = clock::time_point::max();
            continue;
        }
        close();
    }
}

template <class Socket>
asio::awaitable<bool> session::read_more(Socket& from, std::string& into) {
    const std::size_t old = into.size();
    into.resize(old + read_chunk);
    auto [ec, n] = co_await from.async_read_some(asio::buffer(into.data() + old, read_chunk), nothrow);
    into.resize(old + n);
    if (n > 0) activity_.last = clock::now();
    co_return !ec && n > 0;
}
template asio::awaitable<bool> session::read_more(client_socket&, std::string&);
template asio::awaitable<bool> session::read_more(tcp::socket&, std::string&);

void session::start_record(const request_head& head) {
    record_ = decision_record{};
    record_.client = client_text_;
    record_.method = head.method;
    record_.host = head.host_bracketed ? "[" + head.host + "]" : head.host;
    record_.port = head.port;
    activity_ = relay_activity{};
    started_ = clock::now();
    logged_ = false;
    timed_out_ = false;
}

void session::finish(verdict v, std::string reason) {
    if (logged_) return;
    logged_ = true;
    record_.decision = v;
    record_.reason = std::move(reason);
    record_.bytes_up = activity_.up;
    record_.bytes_down = activity_.down;
    record_.duration = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started_);
    ctx_.log.write(record_);
}

asio::awaitable<void> session::refuse(int status, std::string reason, verdict v) {
    const std::string response = error_response(status, reason);
    finish(v, std::move(reason));
    if (client_.is_open()) co_await write_all(client_, response);
}

asio::awaitable<void> session::serve() {
    try {
        for (;;) {
            auto head = co_await read_request_head();
            if (!head) break;
            if (head->method == "CONNECT") {
                co_await tunnel(*head);
                break;
            }
            if (!co_await forward(*head)) break;
        }
    } catch (const std::exception& e) {
        finish(verdict::error, std::string("internal error: ") + e.what());
    }
    finish(verdict::error, timed_out_ ? timeout_reason_ : "connection closed");
    close();
}

asio::awaitable<std::optional<request_head>> session::read_request_head() {
    const head_limits limits{ctx_.cfg.limits.max_head_bytes, 100};
    for (;;) {
        auto r = parse_request_head(cbuf_, limits);
        if (!r) {
            record_ = decision_record{};
            record_.client = client_text_;
            record_.method = std::string(std::string_view(cbuf_).substr(0, std::min<std::size_t>(cbuf_.find(' '), 32)));
            started_ = clock::now();
            activity_ = relay_activity{};
            logged_ = false;
            co_await refuse(failed_with(r, errc::limit_exceeded) ? 431 : 400, r.error().message);
            co_return std::nullopt;
        }
        if (*r) {
            cbuf_.erase(0, (*r)->head_bytes);
            co_return std::move(**r);
        }
        const bool was_empty = cbuf_.empty();
        if (!co_await read_more(client_, cbuf_)) {
            if (!cbuf_.empty() || timed_out_) {
                record_ = decision_record{};
                record_.client = client_text_;
                started_ = clock::now();
                activity_ = relay_activity{};
                logged_ = false;
                finish(verdict::deny, timed_out_ ? timeout_reason_ : "client closed before the request head ended");
            }
            co_return std::nullopt;
        }
        if (was_empty && phase_ == phase::idle_wait) set_phase(ctx_.cfg.limits.head_timeout, "request head timeout");
    }
}

bool session::is_own_listener(const net::address& a, std::uint16_t port) const {
    const net::address plain = policy::unmapped(a);
    const bool local = plain.is_loopback() || plain.is_unspecified() ||
                       std::find(ctx_.floor.own_addresses.begin(), ctx_.floor.own_addresses.end(), plain) !=
                           ctx_.floor.own_addresses.end();
    for (const auto& l : ctx_.listeners) {
        if (l.port() == port && (policy::unmapped(l.address()) == plain || local)) return true;
    }
    return false;
}

asio::awaitable<bool> session::vet_and_connect(const policy::decision& d, std::uint16_t port) {
    set_phase(ctx_.cfg.limits.connect_timeout, "resolve and connect timeout", phase::connect);
    std::vector<net::address> candidates;
    if (d.address) {
        candidates.push_back(*d.address);  // a literal route: the policy names it, no floor
    } else {
        auto answers = co_await ctx_.dns.async_resolve(d.host, asio::use_awaitable);
        if (closed_) co_return false;
        if (!answers) {
            co_await refuse(502, answers.error().message, verdict::error);
            co_return false;
        }
        const auto v = policy::check_answers(*answers, ctx_.floor);
        if (v.refused) {
            co_await refuse(403, "deny floor: " + v.reason);
            co_return false;
        }
        candidates = std::move(*answers);
    }
    for (const auto& a : candidates) {
        if (is_own_listener(a, port)) {
            co_await refuse(403, "loop: " + endpoint_text(tcp::endpoint(a, port)) + " is this proxy's own listener");
            co_return false;
        }
    }
    std::string last_error = "no address";
    for (const auto& a : candidates) {
        if (timed_out_ || closed_) break;
        const tcp::endpoint ep(a, port);
        boost::system::error_code ignored;
        upstream_.close(ignored);
        auto [ec] = co_await upstream_.async_connect(ep, nothrow);
        if (!ec && !timed_out_ && !closed_) {
            record_.address = endpoint_text(ep);
            if (!d.address) {
                const auto floor = policy::check_address(a, ctx_.floor);
                if (floor.reason.find("permit") != std::string::npos) permit_note_ = "; " + floor.reason;
            }
            upstream_.non_blocking(true, ignored);
            upstream_.set_option(tcp::no_delay(true), ignored);
            set_phase(ctx_.cfg.limits.idle_timeout, "idle timeout", phase::idle);
            co_return true;
        }
        last_error = endpoint_text(ep) + ": " + (ec ? ec.message() : std::string("timed out"));
    }
    if (closed_) co_return false;
    if (timed_out_) co_await refuse(504, "connect timeout (" + last_error + ")", verdict::error);
    else co_await refuse(502, "connect failed: " + last_error, verdict::error);
    co_return false;
}

asio::awaitable<void> session::tunnel(const request_head& head) {
    start_record(head);
    permit_note_.clear();
    if (ctx_.tunnels >= ctx_.cfg.limits.max_tunnels) {
        co_await refuse(503, "tunnel limit reached (" + std::to_string(ctx_.cfg.limits.max_tunnels) + " at once)");
        co_return;
    }
    const auto d = policy::decide(ctx_.cfg.routes, record_.host, head.port);
    if (!d.allowed) {
        co_await refuse(403, d.reason);
        co_return;
    }
    ++ctx_.tunnels;
    counted_tunnel_ = true;
    if (!co_await vet_and_connect(d, head.port)) co_return;
    const std::string allowed = d.reason + permit_note_;
    if (!co_await write_all(client_, "HTTP/1.1 200 Connection established\r\n\r\n")) {
        finish(verdict::error, allowed + "; the client went away");
        co_return;
    }
    if (d.matched->tls) {
        set_phase(ctx_.cfg.limits.hello_timeout, "TLS ClientHello timeout");
        for (;;) {
            auto hello = parse_client_hello(cbuf_);
            if (!hello) {
                finish(verdict::deny, "TLS: " + hello.error().message);
                co_return;
            }
            if (*hello) {
                const auto sni = policy::canonical_host((*hello)->server_name);
                if (!sni || *sni != d.host) {
                    finish(verdict::deny, "TLS server name " + quote((*hello)->server_name) + " is not the CONNECT host " + d.host);
                    co_return;
                }
                break;
            }
            if (!co_await read_more(client_, cbuf_)) {
                finish(verdict::deny, timed_out_ ? timeout_reason_ : "the client closed before its TLS ClientHello ended");
                co_return;
            }
        }
    }
    set_phase(ctx_.cfg.limits.idle_timeout, "idle timeout", phase::idle);
    ubuf_ = std::string();  // a tunnel holds no head buffers while it relays
    if (!cbuf_.empty()) {
        if (!co_await write_all(upstream_, cbuf_)) {
            finish(verdict::error, allowed + "; the upstream closed");
            co_return;
        }
        activity_.up += cbuf_.size();
    }
    cbuf_ = std::string();
    co_await relay(client_, upstream_, ctx_.pool, activity_);
    finish(verdict::allow, allowed + (timed_out_ ? "; closed after the idle timeout" : ""));
}

}  // namespace bottle::egress
