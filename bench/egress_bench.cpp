// bottle-egress, measured side by side on loopback in one run:
//  - its parsers (request head, ClientHello, chunked framing);
//  - through one CONNECT tunnel: bulk throughput, 64-byte ping-pong round
//    trip, tunnel set-up (CONNECT -> 200, static resolution; p50/p99 and
//    tunnels per second), and RSS per idle tunnel (1,000 tunnels);
// each for bottle-egress, a plain read/write relay written here (the
// practical limit of this machine; two blocking threads per tunnel, in a
// process of its own), and tinyproxy / Squid when installed
// (skipped with a message otherwise). Run:
//   bottle_bench --benchmark_filter=Egress
// All traffic stays on 127.0.0.x.
#include "bottle-egress/chunked_framer.hpp"
#include "bottle-egress/client_hello.hpp"
#include "bottle-egress/http_head.hpp"
#include "egress/proxy_process.hpp"
#include "egress/tls_hello.hpp"

#include <benchmark/benchmark.h>
#include <netinet/tcp.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <memory>

namespace {

using namespace bottle::egress::testing;

// --- parsers -----------------------------------------------------------------

void BM_EgressParseConnectHead(benchmark::State& state) {
    const std::string head =
        "CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\nUser-Agent: curl/7.88.1\r\n"
        "Proxy-Connection: Keep-Alive\r\n\r\n";
    for (auto _ : state) benchmark::DoNotOptimize(bottle::egress::parse_request_head(head));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * head.size()));
}
BENCHMARK(BM_EgressParseConnectHead);

void BM_EgressParseClientHello(benchmark::State& state) {
    const std::string hello = records(hello_message({sni_extension({"api.example.com"}), extension(43, std::string("\x02\x03\x04", 3)),
                                                     extension(51, std::string(1200, 'k'))}));
    for (auto _ : state) benchmark::DoNotOptimize(bottle::egress::parse_client_hello(hello));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * hello.size()));
}
BENCHMARK(BM_EgressParseClientHello);

void BM_EgressChunkedFraming(benchmark::State& state) {
    std::string body;
    for (int i = 0; i < 64; ++i) body += "400\r\n" + std::string(1024, 'x') + "\r\n";
    body += "0\r\n\r\n";
    for (auto _ : state) {
        bottle::egress::chunked_framer f;
        benchmark::DoNotOptimize(f.feed(body));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_EgressChunkedFraming);

// --- proxies under test ----------------------------------------------------------

enum class proxy_kind { bottle_egress, plain_relay, tinyproxy, squid };

/// Writes 64 KiB blocks until the peer closes (bulk source) — or echoes.
std::unique_ptr<tcp_server> make_source() {
    return std::make_unique<tcp_server>("127.0.0.2", [](int c) {
        const std::string block(64 * 1024, 'b');
        while (::send(c, block.data(), block.size(), MSG_NOSIGNAL) > 0) {
        }
    });
}

/// The plain relay: CONNECT head in, 200 out, then read/write both ways on
/// two threads. No policy at all: the upper bound of a relay here.
std::unique_ptr<tcp_server> make_plain_relay(std::uint16_t upstream_port) {
    return std::make_unique<tcp_server>("127.0.0.1", [upstream_port](int c) {
        recv_head(c);
        const int u = tcp_connect("127.0.0.2", upstream_port);
        set_timeout(c, 0);
        set_timeout(u, 0);
        // The same socket options as bottle-egress sets on both legs.
        const int one = 1;
        ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        send_all(c, "HTTP/1.1 200 Connection established\r\n\r\n");
        auto pump = [](int from, int to) {
            std::vector<char> buf(64 * 1024);
            for (;;) {
                const ssize_t n = ::read(from, buf.data(), buf.size());
                if (n <= 0) break;
                if (::send(to, buf.data(), static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
            }
            ::shutdown(to, SHUT_WR);
        };
        std::thread up(pump, c, u);
        pump(u, c);
        up.join();
        ::close(u);
    });
}

bool on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "";
    for (std::size_t at = 0; at <= p.size();) {
        const std::size_t colon = std::min(p.find(':', at), p.size());
        if (::access((p.substr(at, colon - at) + "/" + program).c_str(), X_OK) == 0) return true;
        at = colon + 1;
    }
    for (const char* dir : {"/usr/sbin/", "/usr/bin/"})
        if (::access((std::string(dir) + program).c_str(), X_OK) == 0) return true;
    return false;
}

/// One proxy process (or the in-bench relay), listening on 127.0.0.1:port.
struct running_proxy {
    std::unique_ptr<proxy_process> process;
    pid_t child = -1;  ///< the plain relay's process
    std::unique_ptr<bottle::test_support::temp_dir> dir;
    pid_t pid = -1;
    std::uint16_t port = 0;
    running_proxy() = default;
    running_proxy(running_proxy&& o) noexcept
        : process(std::move(o.process)), child(std::exchange(o.child, -1)), dir(std::move(o.dir)), pid(o.pid), port(o.port) {}
    running_proxy& operator=(running_proxy&&) = delete;
    ~running_proxy() {
        if (process) process->stop(SIGTERM);  // a clean exit (profilers and tracers write their reports then)
        if (child > 0) {
            ::kill(child, SIGKILL);
            ::waitpid(child, nullptr, 0);
        }
    }
};

bool wait_listening(std::uint16_t port) {
    for (int i = 0; i < 200; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        if (ok) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

std::uint16_t free_port() {
    const int fd = tcp_listen("127.0.0.1");
    const auto p = local_port(fd);
    ::close(fd);
    return p;
}

/// Starts the proxy; an empty optional with `why` set when it cannot run here.
std::optional<running_proxy> start_proxy(proxy_kind kind, std::uint16_t upstream_port, std::string& why) {
    running_proxy r;
    const std::string up = std::to_string(upstream_port);
    switch (kind) {
        case proxy_kind::plain_relay: {
            // A process of its own, like the proxies it is compared with (in
            // this process its threads would be woken next to the client's).
            int ready[2];
            if (::pipe2(ready, O_CLOEXEC) != 0) {
                why = "pipe failed";
                return std::nullopt;
            }
            const pid_t child = ::fork();
            if (child == 0) {
                auto relay = make_plain_relay(upstream_port);
                const std::uint16_t p = relay->port();
                if (::write(ready[1], &p, sizeof p) != sizeof p) ::_exit(1);
                for (;;) ::pause();
            }
            ::close(ready[1]);
            const bool ok = ::read(ready[0], &r.port, sizeof r.port) == sizeof r.port;
            ::close(ready[0]);
            r.child = child;
            r.pid = child;
            if (!ok) {
                why = "the plain relay did not start";
                return std::nullopt;
            }
            return r;
        }
        case proxy_kind::bottle_egress: {
            r.process = std::make_unique<proxy_process>(std::vector<std::string>{
                "--listen", "127.0.0.1:0", "--allow-tunnel", "bench.example.com:" + up, "--resolve", "bench.example.com=127.0.0.2",
                "--permit", "127.0.0.2/32", "--log", "/dev/null", "--nameserver", "127.0.0.1:9", "--max-connections", "10000",
                "--max-tunnels", "10000"});
            const auto p = r.process->ready();
            if (!p) {
                why = "bottle-egress did not start (" + binary_path() + "): " + r.process->wait().err;
                return std::nullopt;
            }
            r.port = *p;
            r.pid = r.process->pid();
            return r;
        }
        case proxy_kind::tinyproxy:
        case proxy_kind::squid: {
            const bool tiny = kind == proxy_kind::tinyproxy;
            const std::string program = tiny ? "tinyproxy" : "squid";
            if (!on_path(program)) {
                why = program + " is not installed (Debian package " + program + "): skipped";
                return std::nullopt;
            }
            r.dir = std::make_unique<bottle::test_support::temp_dir>("egress-bench");
            r.port = free_port();
            const auto conf = r.dir->path() / (program + ".conf");
            std::ofstream c(conf);
            if (tiny) {
                c << "Port " << r.port << "\nListen 127.0.0.1\nMaxClients 10000\nAllow 127.0.0.1\nConnectPort " << up
                  << "\nLogLevel Critical\nLogFile \"" << (r.dir->path() / "log").string() << "\"\nTimeout 600\n";
            } else {
                c << "http_port 127.0.0.1:" << r.port << "\nhttp_access allow all\ncache deny all\naccess_log none\ncache_log "
                  << (r.dir->path() / "cache.log").string() << "\npid_filename " << (r.dir->path() / "squid.pid").string()
                  << "\ncoredump_dir " << r.dir->path().string() << "\nmax_filedescriptors 16384\nshutdown_lifetime 0 seconds\n";
            }
            c.close();
            std::vector<std::string> args = tiny ? std::vector<std::string>{"-d", "-c", conf.string()}
                                                 : std::vector<std::string>{"-N", "-f", conf.string()};
            const std::string exe = ::access(("/usr/sbin/" + program).c_str(), X_OK) == 0 ? "/usr/sbin/" + program : "/usr/bin/" + program;
            const char* saved = std::getenv("BOTTLE_EGRESS_BINARY");
            const std::string previous = saved ? saved : "";
            ::setenv("BOTTLE_EGRESS_BINARY", exe.c_str(), 1);
            r.process = std::make_unique<proxy_process>(args);
            if (previous.empty()) ::unsetenv("BOTTLE_EGRESS_BINARY");
            else ::setenv("BOTTLE_EGRESS_BINARY", previous.c_str(), 1);
            r.pid = r.process->pid();
            if (!wait_listening(r.port)) {
                why = program + " did not start listening";
                return std::nullopt;
            }
            return r;
        }
    }
    return std::nullopt;
}

/// start_proxy, or the benchmark marked skipped with the reason.
std::optional<running_proxy> start_or_skip(benchmark::State& state, proxy_kind kind, std::uint16_t upstream_port) {
    std::string why;
    auto proxy = start_proxy(kind, upstream_port, why);
    if (!proxy) state.SkipWithError(why.c_str());
    return proxy;
}

void raise_descriptor_limit() {
    rlimit l{};
    ::getrlimit(RLIMIT_NOFILE, &l);
    l.rlim_cur = l.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &l);
}

std::int64_t rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
    return -1;
}

// /etc/hosts is not read by bottle-egress, so the tunnels name a host that
// --resolve answers; tinyproxy and Squid resolve it through the system:
// give them the address instead.
std::string target_for(proxy_kind k, std::uint16_t upstream) {
    return (k == proxy_kind::bottle_egress || k == proxy_kind::plain_relay ? "bench.example.com:" : "127.0.0.2:") +
           std::to_string(upstream);
}

int open_tunnel_for(proxy_kind k, std::uint16_t port, std::uint16_t upstream) {
    const int c = tcp_connect("127.0.0.1", port);
    const std::string target = target_for(k, upstream);
    send_all(c, "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n");
    const std::string head = recv_head(c);
    if (head.find(" 200") == std::string::npos) {
        ::close(c);
        return -1;
    }
    return c;
}

void BM_EgressTunnelBulk(benchmark::State& state, proxy_kind kind) {
    auto source = make_source();
    auto proxy = start_or_skip(state, kind, source->port());
    if (!proxy) return;
    const int c = open_tunnel_for(kind, proxy->port, source->port());
    if (c < 0) {
        state.SkipWithError("CONNECT refused");
        return;
    }
    set_timeout(c, 0);
    constexpr std::size_t chunk = 8 << 20;
    std::vector<char> buf(256 * 1024);
    for (auto _ : state) {
        std::size_t got = 0;
        while (got < chunk) {
            const ssize_t n = ::read(c, buf.data(), std::min(buf.size(), chunk - got));
            if (n <= 0) {
                state.SkipWithError("tunnel closed");
                break;
            }
            got += static_cast<std::size_t>(n);
        }
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * chunk));
    ::close(c);
}

void BM_EgressTunnelPingPong(benchmark::State& state, proxy_kind kind) {
    echo_server echo("127.0.0.2");
    auto proxy = start_or_skip(state, kind, echo.port());
    if (!proxy) return;
    const int c = open_tunnel_for(kind, proxy->port, echo.port());
    if (c < 0) {
        state.SkipWithError("CONNECT refused");
        return;
    }
    const int one = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const std::string ping(64, 'p');
    char buf[64];
    auto round_trip = [&] {
        send_all(c, ping);
        std::size_t got = 0;
        while (got < sizeof buf) {
            const ssize_t n = ::recv(c, buf + got, sizeof buf - got, 0);
            if (n <= 0) return false;
            got += static_cast<std::size_t>(n);
        }
        return true;
    };
    // Warm-up: the first round trips fault in buffers and settle the
    // scheduler; they are not timed.
    for (int i = 0; i < 500; ++i)
        if (!round_trip()) break;
    // Each round trip is timed: the mean (real_time) is dominated by the
    // occasional round trip that waits for a busy core on this shared
    // machine, so the median (p50_us) is the figure compared.
    std::vector<double> micros;
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        if (!round_trip()) {
            state.SkipWithError("tunnel closed");
            break;
        }
        micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(micros.begin(), micros.end());
    if (!micros.empty()) {
        state.counters["p50_us"] = micros[micros.size() / 2];
        state.counters["p99_us"] = micros[std::min(micros.size() - 1, micros.size() * 99 / 100)];
    }
    ::close(c);
}

void BM_EgressTunnelSetup(benchmark::State& state, proxy_kind kind) {
    echo_server echo("127.0.0.2");
    auto proxy = start_or_skip(state, kind, echo.port());
    if (!proxy) return;
    std::vector<double> micros;
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        const int c = open_tunnel_for(kind, proxy->port, echo.port());
        micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
        if (c < 0) {
            state.SkipWithError("CONNECT refused");
            break;
        }
        ::close(c);
    }
    std::sort(micros.begin(), micros.end());
    if (!micros.empty()) {
        state.counters["p50_us"] = micros[micros.size() / 2];
        state.counters["p99_us"] = micros[std::min(micros.size() - 1, micros.size() * 99 / 100)];
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_EgressIdleTunnelMemory(benchmark::State& state, proxy_kind kind) {
    raise_descriptor_limit();
    echo_server echo("127.0.0.2");
    auto proxy = start_or_skip(state, kind, echo.port());
    if (!proxy) return;
    constexpr int tunnels = 1000;
    for (auto _ : state) {
        const std::int64_t before = rss_kib(proxy->pid);
        std::vector<int> open;
        for (int i = 0; i < tunnels; ++i) {
            const int c = open_tunnel_for(kind, proxy->port, echo.port());
            if (c < 0) break;
            open.push_back(c);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        const std::int64_t after = rss_kib(proxy->pid);
        state.counters["tunnels"] = static_cast<double>(open.size());
        state.counters["rss_kib_per_tunnel"] = open.empty() ? 0 : static_cast<double>(after - before) / static_cast<double>(open.size());
        state.counters["rss_kib_total"] = static_cast<double>(after);
        for (int c : open) ::close(c);
    }
}

#define EGRESS_PEERS(bm, ...)                                                              \
    BENCHMARK_CAPTURE(bm, bottle_egress, proxy_kind::bottle_egress)->UseRealTime() __VA_ARGS__; \
    BENCHMARK_CAPTURE(bm, plain_relay, proxy_kind::plain_relay)->UseRealTime() __VA_ARGS__;     \
    BENCHMARK_CAPTURE(bm, tinyproxy, proxy_kind::tinyproxy)->UseRealTime() __VA_ARGS__;         \
    BENCHMARK_CAPTURE(bm, squid, proxy_kind::squid)->UseRealTime() __VA_ARGS__

EGRESS_PEERS(BM_EgressTunnelBulk, ->Unit(benchmark::kMillisecond)->MinTime(2.0));
EGRESS_PEERS(BM_EgressTunnelPingPong, ->Unit(benchmark::kMicrosecond)->MinTime(2.0));
EGRESS_PEERS(BM_EgressTunnelSetup, ->Unit(benchmark::kMicrosecond)->MinTime(2.0));
EGRESS_PEERS(BM_EgressIdleTunnelMemory, ->Iterations(1)->Unit(benchmark::kMillisecond));

}  // namespace
