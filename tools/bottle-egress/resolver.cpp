// tools/bottle-egress/resolver.cpp — see resolver.hpp.
#include "bottle-egress/resolver.hpp"

#include "bottle-egress/http_head.hpp"
#include "bottle-egress/text.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace bottle::egress {

namespace asio = boost::asio;

namespace {

/// c-ares keeps global state; initialise it once per process.
bool library_ready() {
    static const int status = ares_library_init(ARES_LIB_INIT_ALL);
    return status == ARES_SUCCESS;
}

error ares_failure(int status, const std::string& name) {
    const errc code = status == ARES_ENOTFOUND || status == ARES_ENODATA || status == ARES_ENONAME ? errc::not_found
                      : status == ARES_ETIMEOUT                                                      ? errc::timeout
                                                                                                     : errc::io_error;
    return make_error(code, "resolving " + quote(name) + ": " + ares_strerror(status));
}

}  // namespace

struct resolver::impl {
    struct watch {
        watch(asio::any_io_executor ex, int fd) : descriptor(ex, fd) {}
        asio::posix::stream_descriptor descriptor;
        bool want_read = false, want_write = false, reading = false, writing = false;
    };
    struct query {
        impl* self;
        std::string name;
        std::function<void(answer)> done;
    };

    asio::any_io_executor executor;
    resolver_options options;
    ares_channel channel = nullptr;
    asio::steady_timer timer;
    std::map<int, std::shared_ptr<watch>> watches;
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);

    impl(asio::any_io_executor ex, resolver_options o) : executor(ex), options(std::move(o)), timer(ex) {}

    ~impl() {
        *alive = false;
        timer.cancel();
        if (channel) ares_destroy(channel);  // pending queries complete with ARES_EDESTRUCTION
        for (auto& [fd, w] : watches) (void)w->descriptor.release();
    }

    static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
        auto* self = static_cast<impl*>(data);
        if (!readable && !writable) {
            if (auto it = self->watches.find(fd); it != self->watches.end()) {
                (void)it->second->descriptor.release();  // c-ares owns and closes the socket
                self->watches.erase(it);
            }
            return;
        }
        auto& w = self->watches[fd];
        if (!w) w = std::make_shared<watch>(self->executor, fd);
        w->want_read = readable != 0;
        w->want_write = writable != 0;
        self->arm(fd, w);
    }

    void arm(int fd, const std::shared_ptr<watch>& w) {
        auto wake = [this, fd, weak = std::weak_ptr<watch>(w), alive_now = alive](bool for_read) {
            return [this, fd, weak, alive_now, for_read](const boost::system::error_code& ec) {
                if (!*alive_now) return;
                auto w2 = weak.lock();
                if (!w2) return;
                (for_read ? w2->reading : w2->writing) = false;
                if (ec) return;
                ares_process_fd(channel, for_read ? fd : ARES_SOCKET_BAD, for_read ? ARES_SOCKET_BAD : fd);
                if (auto it = watches.find(fd); it != watches.end() && it->second == w2) arm(fd, w2);
                schedule_timer();
            };
        };
        if (w->want_read && !w->reading) {
            w->reading = true;
            w->descriptor.async_wait(asio::posix::descriptor_base::wait_read, wake(true));
        }
        if (w->want_write && !w->writing) {
            w->writing = true;
            w->descriptor.async_wait(asio::posix::descriptor_base::wait_write, wake(false));
        }
    }

    void schedule_timer() {
        timeval buffer{};
        const timeval* tv = ares_timeout(channel, nullptr, &buffer);
        if (!tv) {
            timer.cancel();
            return;
        }
        timer.expires_after(std::chrono::seconds(tv->tv_sec) + std::chrono::microseconds(tv->tv_usec));
        timer.async_wait([this, alive_now = alive](const boost::system::error_code& ec) {
            if (ec || !*alive_now) return;
            ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
            schedule_timer();
        });
    }

    static void on_answer(void* arg, int status, int /*timeouts*/, ares_addrinfo* info) {
        std::unique_ptr<query> q(static_cast<query*>(arg));
        answer a = make_error(errc::internal, "resolver: no answer");
        if (status != ARES_SUCCESS) {
            a = ares_failure(status, q->name);
        } else {
            std::vector<net::address> out;
            for (const ares_addrinfo_node* n = info ? info->nodes : nullptr; n; n = n->ai_next) {
                net::address addr;
                if (n->ai_family == AF_INET && n->ai_addrlen >= sizeof(sockaddr_in)) {
                    sockaddr_in sin{};
                    std::memcpy(&sin, n->ai_addr, sizeof sin);
                    addr = net::address_v4(ntohl(sin.sin_addr.s_addr));
                } else if (n->ai_family == AF_INET6 && n->ai_addrlen >= sizeof(sockaddr_in6)) {
                    sockaddr_in6 sin6{};
                    std::memcpy(&sin6, n->ai_addr, sizeof sin6);
                    net::address_v6::bytes_type bytes;
                    std::memcpy(bytes.data(), &sin6.sin6_addr, bytes.size());
                    addr = net::address_v6(bytes);
                } else {
                    continue;
                }
                if (std::find(out.begin(), out.end(), addr) == out.end()) out.push_back(addr);
            }
            if (out.empty()) a = make_error(errc::not_found, "resolving " + quote(q->name) + ": no addresses");
            else a = std::move(out);
        }
        if (info) ares_freeaddrinfo(info);
        if (status == ARES_EDESTRUCTION) return;  // the proxy is shutting down; nobody waits any more
        asio::post(q->self->executor, [done = std::move(q->done), a = std::move(a)]() mutable { done(std::move(a)); });
    }
};

resolver::resolver(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
resolver::~resolver() = default;

result<std::unique_ptr<resolver>> resolver::create(asio::any_io_executor executor, resolver_options options) {
    if (!library_ready()) return make_error(errc::io_error, "c-ares library initialisation failed");
    auto p = std::make_unique<impl>(executor, std::move(options));
    ares_options o{};
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_FLAGS | ARES_OPT_LOOKUPS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    o.sock_state_cb = &impl::on_socket_state;
    o.sock_state_cb_data = p.get();
    // Exactly the name asked: no search list, no HOSTALIASES; DNS only, no hosts file.
    o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
    static char dns_only[] = "b";
    o.lookups = dns_only;
    o.timeout = static_cast<int>(p->options.timeout.count());
    o.tries = p->options.tries;
    if (const int s = ares_init_options(&p->channel, &o, mask); s != ARES_SUCCESS) {
        p->channel = nullptr;
        return make_error(errc::io_error, std::string("c-ares setup failed: ") + ares_strerror(s));
    }
    if (p->options.nameserver) {
        const auto& ep = *p->options.nameserver;
        ares_addr_port_node node{};
        if (ep.address().is_v4()) {
            node.family = AF_INET;
            const auto b = ep.address().to_v4().to_bytes();
            std::memcpy(&node.addr.addr4, b.data(), b.size());
        } else {
            node.family = AF_INET6;
            const auto b = ep.address().to_v6().to_bytes();
            std::memcpy(&node.addr.addr6, b.data(), b.size());
        }
        node.udp_port = node.tcp_port = ep.port();
        if (const int s = ares_set_servers_ports(p->channel, &node); s != ARES_SUCCESS) {
            return make_error(errc::io_error, std::string("c-ares nameserver setup failed: ") + ares_strerror(s));
        }
    }
    return std::unique_ptr<resolver>(new resolver(std::move(p)));
}

void resolver::resolve(const std::string& name, std::function<void(answer)> done) {
    if (auto it = impl_->options.static_answers.find(name); it != impl_->options.static_answers.end()) {
        asio::post(impl_->executor, [done = std::move(done), a = it->second]() mutable { done(answer(std::move(a))); });
        return;
    }
    ++queries_;
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_flags = ARES_AI_NOSORT;
    // The trailing dot makes the name absolute: never completed by a search domain.
    const std::string absolute = name.ends_with('.') ? name : name + ".";
    ares_getaddrinfo(impl_->channel, absolute.c_str(), nullptr, &hints, &impl::on_answer,
                     new impl::query{impl_.get(), name, std::move(done)});
    impl_->schedule_timer();
}

result<asio::ip::udp::endpoint> parse_nameserver(std::string_view text) {
    std::string host;
    std::uint16_t port = 53;
    if (!text.empty() && text.front() != '[' && std::count(text.begin(), text.end(), ':') > 1) {
        host = std::string(text);  // a bare IPv6 address
    } else {
        auto a = parse_authority(text, 53);
        if (!a) return make_error(errc::invalid_argument, "--nameserver " + quote(text) + ": " + a.error().message);
        host = a->host;
        port = a->port;
    }
    auto addr = net::parse_address(host);
    if (!addr) return make_error(errc::invalid_argument, "--nameserver " + quote(text) + ": " + addr.error().message);
    return asio::ip::udp::endpoint(*addr, port);
}

}  // namespace bottle::egress
