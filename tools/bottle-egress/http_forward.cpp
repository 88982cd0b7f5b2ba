// tools/bottle-egress/http_forward.cpp — the absolute-URI HTTP path of a
// session: one request decided, forwarded with its body, its response
// relayed back; the next request on the connection starts over.
#include "bottle-egress/chunked_framer.hpp"
#include "bottle-egress/server.hpp"
#include "bottle-egress/session.hpp"
#include "bottle-egress/text.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <string_view>

namespace bottle::egress {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t max_response_head = 64 * 1024;

bool has_token(const std::vector<std::string>& tokens, std::string_view t) {
    return std::find(tokens.begin(), tokens.end(), t) != tokens.end();
}

/// The Host value for the upstream: the canonical host, and the port unless 80.
std::string host_field(const std::string& canonical, std::uint16_t port) {
    return port == 80 ? canonical : canonical + ":" + std::to_string(port);
}

/// A request that may go to the upstream twice: it has no body and its
/// method is idempotent (RFC 9110 9.2.2), so a second copy changes nothing.
bool replayable(const request_head& head) {
    static constexpr std::string_view idempotent[] = {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"};
    return head.body == body_kind::none &&
           std::find(std::begin(idempotent), std::end(idempotent), head.method) != std::end(idempotent);
}

/// False when a kept-alive upstream connection has ended (FIN or reset) or
/// sent bytes nobody asked for; either way it must not carry a request.
bool still_open(tcp::socket& s) {
    char c;
    const ssize_t n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

asio::awaitable<bool> session::send_request_body(const request_head& head) {
    if (head.body == body_kind::none) co_return true;
    std::uint64_t remaining = head.content_length;
    chunked_framer framer;
    for (;;) {
        if (!cbuf_.empty()) {
            std::size_t take = 0;
            if (head.body == body_kind::length) {
                take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, cbuf_.size()));
                remaining -= take;
            } else {
                auto n = framer.feed(cbuf_);
                if (!n) {
                    finish(verdict::deny, "request body: " + n.error().message);
                    close();
                    co_return false;
                }
                take = *n;
            }
            if (!co_await write_all(upstream_, std::string_view(cbuf_).substr(0, take))) {
                close();
                co_return false;
            }
            activity_.up += take;
            cbuf_.erase(0, take);
            if (head.body == body_kind::length ? remaining == 0 : framer.done()) co_return true;
        }
        if (!co_await read_more(client_, cbuf_)) {
            close();
            co_return false;
        }
    }
}

asio::awaitable<bool> session::relay_response(const request_head& head, bool websocket, bool& keep, bool& upgraded) {
    const head_limits limits{max_response_head, 200};
    for (;;) {
        std::optional<response_head> rh;
        while (!rh) {
            auto r = parse_response_head(ubuf_, head.method, limits);
            if (!r) {
                co_await refuse(502, "upstream response: " + r.error().message, verdict::error);
                close();
                co_return false;
            }
            if (*r) {
                rh = std::move(**r);
                ubuf_.erase(0, rh->head_bytes);
                break;
            }
            if (!co_await read_more(upstream_, ubuf_)) {
                co_await refuse(502, reused_upstream_ && ubuf_.empty()
                                         ? "the kept-alive upstream connection closed unanswered and the request cannot be replayed"
                                         : "the upstream closed before its response head ended",
                                verdict::error);
                close();
                co_return false;
            }
        }
        const bool switching = rh->status == 101;
        if (switching && !websocket) {
            co_await refuse(502, "the upstream switched protocols that were not asked for", verdict::error);
            close();
            co_return false;
        }
        const bool interim = rh->status < 200 && !switching;
        const auto listed = connection_tokens(rh->fields);
        const bool upstream_closes = has_token(listed, "close") || (rh->version_minor == 0 && !has_token(listed, "keep-alive"));
        if (rh->body == body_kind::until_close) keep = false;
        std::string out = "HTTP/1." + std::to_string(rh->version_minor) + " " + std::to_string(rh->status) +
                          (rh->reason.empty() ? "" : " " + rh->reason) + "\r\n";
        for (const auto& f : rh->fields) {
            if (!is_hop_by_hop(f.name, listed)) out += f.name + ": " + f.value + "\r\n";
        }
        if (switching) out += "Connection: Upgrade\r\nUpgrade: websocket\r\n";
        else if (!interim && !keep) out += "Connection: close\r\n";
        out += "\r\n";
        if (!co_await write_all(client_, out)) {
            close();
            co_return false;
        }
        activity_.down += out.size();
        if (switching) {
            upgraded = true;
            co_return true;
        }
        if (interim) continue;
        std::uint64_t remaining = rh->content_length;
        chunked_framer framer;
        bool done = rh->body == body_kind::none;
        while (!done) {
            if (!ubuf_.empty()) {
                std::size_t take = ubuf_.size();
                if (rh->body == body_kind::length) {
                    take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, ubuf_.size()));
                    remaining -= take;
                    done = remaining == 0;
                } else if (rh->body == body_kind::chunked) {
                    auto n = framer.feed(ubuf_);
                    if (!n) {
                        finish(verdict::error, "upstream response body: " + n.error().message);
                        close();
                        co_return false;
                    }
                    take = *n;
                    done = framer.done();
                }
                if (!co_await write_all(client_, std::string_view(ubuf_).substr(0, take))) {
                    close();
                    co_return false;
                }
                activity_.down += take;
                ubuf_.erase(0, take);
                if (done) break;
            }
            if (!co_await read_more(upstream_, ubuf_)) {
                if (rh->body == body_kind::until_close) break;  // the end of this body
                finish(verdict::error, "the upstream closed inside its response body");
                close();
                co_return false;
            }
        }
        if (upstream_closes || !ubuf_.empty() || rh->body == body_kind::until_close) {
            boost::system::error_code ignored;
            upstream_.close(ignored);  // not reusable: the next request dials again
            upstream_key_.clear();
            ubuf_.clear();
        }
        co_return true;
    }
}

asio::awaitable<bool> session::forward(const request_head& head) {
    using namespace asio::experimental::awaitable_operators;
    start_record(head);
    if (const auto host_value = head.field("host")) {
        const auto a = parse_authority(*host_value, 80);
        const auto want = policy::canonical_host(record_.host);
        bool agree = false;
        if (a && want) {
            const auto got = policy::canonical_host(a->bracketed ? "[" + a->host + "]" : a->host);
            agree = got && *got == *want && a->port == head.port;
        }
        if (!agree) {
            co_await refuse(400, "the Host field " + quote(*host_value) + " does not agree with the request target");
            co_return false;
        }
    }
    const auto d = policy::decide(ctx_.cfg.routes, record_.host, head.port);
    if (!d.allowed) {
        co_await refuse(403, d.reason);
        co_return false;
    }
    const std::string key = d.host + ":" + std::to_string(head.port);
    bool reused = upstream_.is_open() && upstream_key_ == key;
    if (reused && !still_open(upstream_)) reused = false;  // closed while idle: dial afresh, nothing was sent
    if (!reused) {
        boost::system::error_code ignored;
        upstream_.close(ignored);
        upstream_key_.clear();
        ubuf_.clear();
    }
    const auto listed = connection_tokens(head.fields);
    const auto upgrade = head.field("upgrade");
    const bool websocket = upgrade && iequals(*upgrade, "websocket") && has_token(listed, "upgrade");
    bool keep = head.version_minor == 1 && !has_token(listed, "close");
    std::string out = head.method + " " + head.origin_path + " HTTP/1." + std::to_string(head.version_minor) +
                      "\r\nHost: " + host_field(d.host, head.port) + "\r\n";
    for (const auto& f : head.fields) {
        if (!iequals(f.name, "host") && !is_hop_by_hop(f.name, listed)) out += f.name + ": " + f.value + "\r\n";
    }
    if (websocket) out += "Connection: Upgrade\r\nUpgrade: websocket\r\n";
    out += "\r\n";
    // A kept-alive upstream may close at the moment the request reaches it
    // (its idle timeout). When nothing of the response has come back and the
    // request can be replayed (no body, idempotent method), it goes once more
    // on a fresh connection; anything else is a 502.
    std::string retried;
    for (;;) {
        if (reused) {
            boost::system::error_code ec;
            const auto ep = upstream_.remote_endpoint(ec);
            record_.address = ec ? std::string() : endpoint_text(ep);
            set_phase(ctx_.cfg.limits.idle_timeout, "idle timeout", phase::idle);
        } else {
            permit_note_.clear();
            if (!co_await vet_and_connect(d, head.port)) co_return false;
            upstream_key_ = key;
        }
        reused_upstream_ = reused;
        const bool may_retry = reused && replayable(head);
        bool stale = !co_await write_all(upstream_, out);
        if (!stale) {
            activity_.up += out.size();
            // No co_await inside && here: GCC 12 evaluates it eagerly.
            if (may_retry && ubuf_.empty()) {
                const bool answered = co_await read_more(upstream_, ubuf_);
                if (closed_) co_return false;
                if (!answered && ubuf_.empty()) {
                    stale = true;
                    activity_.up -= out.size();
                }
            }
        }
        if (!stale) break;
        if (!may_retry) {
            co_await refuse(502, reused ? "the kept-alive upstream connection closed and the request cannot be replayed"
                                        : "the upstream closed before the request was sent",
                            verdict::error);
            co_return false;
        }
        boost::system::error_code ignored;
        upstream_.close(ignored);
        upstream_key_.clear();
        ubuf_.clear();
        reused = false;
        retried = "; retried on a fresh connection (the kept-alive one had closed)";
    }
    const std::string allowed_note = d.reason + permit_note_ + retried;
    bool upgraded = false;
    const auto [sent, received] = co_await (send_request_body(head) && relay_response(head, websocket, keep, upgraded));
    if (!sent || !received) {
        finish(verdict::error, allowed_note + (timed_out_ ? "; " + timeout_reason_ : "; the exchange broke off"));
        co_return false;
    }
    if (upgraded) {
        if (!cbuf_.empty()) {
            if (co_await write_all(upstream_, cbuf_)) activity_.up += cbuf_.size();
        }
        if (!ubuf_.empty()) {
            if (co_await write_all(client_, ubuf_)) activity_.down += ubuf_.size();
        }
        cbuf_.clear();
        ubuf_.clear();
        co_await relay(client_, upstream_, ctx_.pool, activity_);
        finish(verdict::allow, allowed_note + "; WebSocket");
        co_return false;
    }
    finish(verdict::allow, allowed_note);
    if (!keep) co_return false;
    set_phase(ctx_.cfg.limits.idle_timeout, "idle keep-alive connection", phase::idle_wait);
    co_return true;
}

}  // namespace bottle::egress
