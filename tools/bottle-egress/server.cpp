// tools/bottle-egress/server.cpp — see server.hpp.
#include "bottle-egress/server.hpp"
#include "bottle-egress/awaitable.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <type_traits>
#include <utility>

namespace bottle::egress {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using unix_stream = asio::local::stream_protocol;

namespace {

/// Checks that `fd` is a listening TCP socket and returns its protocol.
result<tcp> listening_protocol(int fd) {
    int value = 0;
    socklen_t len = sizeof value;
    const std::string what = "--listen-fd " + std::to_string(fd) + ": ";
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &len) != 0)
        return make_error(errc::io_error, what + "not a socket (" + std::strerror(errno) + ")");
    if (value != SOCK_STREAM) return make_error(errc::io_error, what + "not a stream socket");
    len = sizeof value;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &len) != 0 || value == 0)
        return make_error(errc::io_error, what + "not a listening socket (call listen() before handing it over)");
    len = sizeof value;
    if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &value, &len) != 0 || (value != AF_INET && value != AF_INET6))
        return make_error(errc::io_error, what + "not an IPv4 or IPv6 socket");
    return value == AF_INET ? tcp::v4() : tcp::v6();
}

}  // namespace

void run_event_loop(asio::io_context& io, std::chrono::microseconds busy_poll) {
    // Blocking in epoll_wait costs a wakeup per message: the sleeping thread
    // is woken by the sender, often on the other core, which on a virtual
    // machine means an interrupt to a halted vCPU (tens of microseconds).
    // Polling for a short window after the last handler catches the answer
    // of a quick request/response exchange while the thread is still running.
    // The window bounds the CPU this burns: at most `busy_poll` per burst of
    // work, then the thread sleeps as before.
    if (busy_poll.count() <= 0) {
        io.run();
        return;
    }
    using clock = std::chrono::steady_clock;
    auto last_work = clock::now();
    while (!io.stopped()) {
        if (io.poll() > 0) {
            last_work = clock::now();
            continue;
        }
        if (io.stopped()) break;
        if (clock::now() - last_work < busy_poll) continue;
        if (io.run_one() == 0) break;
        last_work = clock::now();
    }
}

std::string endpoint_text(const tcp::endpoint& ep) {
    const auto a = ep.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

result<std::vector<net::address>> host_addresses() {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return make_error(errc::io_error, std::string("getifaddrs: ") + std::strerror(errno));
    std::vector<net::address> out;
    for (const ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr) continue;
        net::address a;
        if (i->ifa_addr->sa_family == AF_INET) {
            sockaddr_in sin{};
            std::memcpy(&sin, i->ifa_addr, sizeof sin);
            a = net::address_v4(ntohl(sin.sin_addr.s_addr));
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            sockaddr_in6 sin6{};
            std::memcpy(&sin6, i->ifa_addr, sizeof sin6);
            net::address_v6::bytes_type b;
            std::memcpy(b.data(), &sin6.sin6_addr, b.size());
            a = net::address_v6(b);
        } else {
            continue;
        }
        if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    }
    ::freeifaddrs(list);
    return out;
}

server::server(asio::io_context& io, const config& cfg, decision_log& log, resolver& dns)
    : io_(io), ctx_{cfg, policy::floor_options{cfg.permits, {}}, dns, log, {}, {}, {}, 0, false} {}

server::~server() { stop(); }

result<void> server::open() {
    auto own = host_addresses();
    if (!own) return own.error();
    ctx_.floor.own_addresses = std::move(*own);
    for (const auto& ep : ctx_.cfg.listen) {
        auto a = std::make_unique<tcp::acceptor>(io_);
        boost::system::error_code ec;
        a->open(ep.protocol(), ec);
        if (!ec) a->set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec && ep.address().is_v6()) a->set_option(asio::ip::v6_only(true), ec);
        if (!ec) a->bind(ep, ec);
        if (!ec) a->listen(asio::socket_base::max_listen_connections, ec);
        if (ec) return make_error(errc::io_error, "--listen " + endpoint_text(ep) + ": " + ec.message());
        ctx_.listeners.push_back(a->local_endpoint());
        acceptors_.push_back(std::move(a));
    }
    for (int fd : ctx_.cfg.listen_fds) {
        auto protocol = listening_protocol(fd);
        if (!protocol) return protocol.error();
        auto a = std::make_unique<tcp::acceptor>(io_);
        boost::system::error_code ec;
        a->assign(*protocol, fd, ec);
        if (ec) return make_error(errc::io_error, "--listen-fd " + std::to_string(fd) + ": " + ec.message());
        ctx_.listeners.push_back(a->local_endpoint(ec));
        acceptors_.push_back(std::move(a));
    }
    for (const auto& path : ctx_.cfg.listen_unix) {
        if (auto opened = open_unix(path); !opened) return opened;
    }
    return {};
}

result<void> server::open_unix(const std::string& path) {
    const std::string what = "--listen-unix " + path + ": ";
    auto a = std::make_unique<unix_stream::acceptor>(io_);
    boost::system::error_code ec;
    a->open(unix_stream(), ec);
    if (!ec) a->bind(unix_stream::endpoint(path), ec);  // creates the file; fails if anything is there
    if (ec == asio::error::address_in_use)
        return make_error(errc::io_error, what + "the path already exists (bottle-egress creates the socket itself and never "
                                                 "removes a file it did not create; remove a stale socket first)");
    if (ec) return make_error(errc::io_error, what + ec.message());
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode))
        return make_error(errc::io_error, what + "the socket file vanished or was replaced right after bind");
    created_.push_back({path, st.st_dev, st.st_ino});
    // The agent runs under another uid: anyone who can reach the file may
    // connect. The directory around it is what confines access.
    if (::chmod(path.c_str(), 0666) != 0) return make_error(errc::io_error, what + "chmod 0666: " + std::strerror(errno));
    a->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return make_error(errc::io_error, what + ec.message());
    unix_acceptors_.push_back(std::move(a));
    return {};
}

void server::start() {
    for (auto& a : acceptors_) asio::co_spawn(io_, accept_loop(*a), asio::detached);
    for (auto& a : unix_acceptors_) asio::co_spawn(io_, accept_loop(*a), asio::detached);
}

void server::stop() {
    ctx_.stopping = true;
    boost::system::error_code ignored;
    for (auto& a : acceptors_) a->close(ignored);
    for (auto& a : unix_acceptors_) a->close(ignored);
    for (const auto& c : created_) {
        struct stat st {};
        if (::lstat(c.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == c.device && st.st_ino == c.inode)
            ::unlink(c.path.c_str());
    }
    created_.clear();
    const auto open_sessions = ctx_.sessions;  // close() never destroys; copy anyway
    for (session* s : open_sessions) s->close();
}

template <class Acceptor>
asio::awaitable<void> server::accept_loop(Acceptor& acceptor) {
    constexpr bool is_tcp = std::is_same_v<typename Acceptor::protocol_type, tcp>;
    asio::steady_timer backoff(io_);
    while (!ctx_.stopping) {
        auto [ec, socket] = co_await acceptor.async_accept(nothrow);
        if (ctx_.stopping) break;
        if (ec) {
            if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) break;
            // Out of descriptors or memory: wait instead of spinning; the
            // connection stays queued in the kernel.
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(nothrow);
            continue;
        }
        boost::system::error_code e2;
        std::string client;
        if constexpr (is_tcp) {
            const auto peer = socket.remote_endpoint(e2);
            client = e2 ? std::string("?") : endpoint_text(peer);
        } else {
            // A unix client is unnamed; the listener's path says where it came in.
            const auto local = socket.local_endpoint(e2);
            client = "unix:" + (e2 ? std::string("?") : local.path());
        }
        if (ctx_.sessions.size() >= ctx_.cfg.limits.max_connections) {
            decision_record r;
            r.client = std::move(client);
            r.reason = "connection limit reached (" + std::to_string(ctx_.cfg.limits.max_connections) + " at once)";
            ctx_.log.write(r);
            socket.close(e2);
            continue;
        }
        if constexpr (is_tcp) socket.set_option(tcp::no_delay(true), e2);
        std::make_shared<session>(ctx_, client_socket(std::move(socket)), std::move(client))->start();
    }
}

int run_proxy(const config& cfg, std::ostream& out, std::ostream& err) {
    asio::io_context io(1);
    auto log = decision_log::open(cfg.log_path, cfg.bottle_id);
    if (!log) {
        err << "bottle-egress: " << log.error().message << "\n";
        return exit_failure;
    }
    resolver_options ro;
    ro.static_answers = cfg.static_answers;
    ro.nameserver = cfg.nameserver;
    auto dns = resolver::create(io.get_executor(), std::move(ro));
    if (!dns) {
        err << "bottle-egress: " << dns.error().message << "\n";
        return exit_failure;
    }
    int status = exit_ok;
    {
        server srv(io, cfg, *log, **dns);
        if (auto opened = srv.open(); !opened) {
            err << "bottle-egress: " << opened.error().message << "\n";
            return exit_failure;
        }
        asio::signal_set signals(io, SIGTERM, SIGINT);
        asio::steady_timer drain(io);
        const auto stop_at = std::make_shared<std::chrono::steady_clock::time_point>();
        std::function<void()> wait_drained = [&] {
            if (srv.sessions() == 0 || std::chrono::steady_clock::now() > *stop_at) {
                io.stop();
                return;
            }
            drain.expires_after(std::chrono::milliseconds(10));
            drain.async_wait([&](const boost::system::error_code&) { wait_drained(); });
        };
        signals.async_wait([&](const boost::system::error_code& ec, int) {
            if (ec) return;
            srv.stop();
            *stop_at = std::chrono::steady_clock::now() + std::chrono::seconds(2);
            wait_drained();
        });
        std::string listening = "{\"listening\":[";
        std::string routes;
        bool first = true;
        for (const auto& ep : srv.endpoints()) listening += (std::exchange(first, false) ? "" : ",") + json_string(endpoint_text(ep));
        for (const auto& path : srv.unix_paths()) listening += (std::exchange(first, false) ? "" : ",") + json_string("unix:" + path);
        listening += "]}";
        for (std::size_t i = 0; i < cfg.routes.size(); ++i) {
            const auto& r = cfg.routes[i];
            std::string ports;
            for (auto p : r.ports) ports += (ports.empty() ? "" : ",") + std::to_string(p);
            routes += (i ? "," : "") + json_string(r.host + (ports.empty() ? "" : ":" + ports) + (r.tls ? "" : " (no TLS check)"));
        }
        std::string permits;
        for (std::size_t i = 0; i < cfg.permits.size(); ++i) {
            permits += (i ? "," : "") + json_string(cfg.permits[i].to_string());
            err << "bottle-egress: warning: --permit " << cfg.permits[i].to_string()
                << " lets resolved addresses in it pass the deny floor\n";
        }
        log->write_line("{\"time\":" + json_string(utc_timestamp(std::chrono::system_clock::now())) +
                        ",\"bottle\":" + json_string(cfg.bottle_id) + ",\"event\":\"start\",\"listening\":" +
                        listening.substr(13, listening.size() - 14) + ",\"routes\":[" + routes + "],\"permits\":[" + permits + "]}\n");
        out << listening << std::endl;
        srv.start();
        run_event_loop(io, cfg.busy_poll);
        srv.stop();
    }
    log->write_line("{\"time\":" + json_string(utc_timestamp(std::chrono::system_clock::now())) +
                    ",\"bottle\":" + json_string(cfg.bottle_id) + ",\"event\":\"stop\"}\n");
    return status;
}

}  // namespace bottle::egress
