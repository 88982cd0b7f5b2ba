// The real bottle-egress binary in a network namespace of the test's own
// (netns_world.hpp): a "world" namespace holds the test's DNS server and
// sinks on lab addresses, and nothing routes anywhere else. The DNS server
// rebinds: the first answer for a name is a public-looking lab address, the
// next ones 10.x or 127.0.0.1. A proxy that checked one answer and dialed
// another (a second lookup: time of check, time of use) would reach the
// internal sink; bottle-egress must reach only the address it vetted, and
// refuse the rebound answers. Every sink listens on the same port, so a dial
// to any of them would be seen. Skipped without root or iproute2.
#include "egress_fixture.hpp"
#include "netns_world.hpp"

#include <set>
#include <string>

namespace {

using namespace bottle::egress::testing;

/// A listening TCP socket on any address family.
int listen_on(const std::string& ip, std::uint16_t port) {
    const auto a = boost::asio::ip::make_address(ip);
    if (a.is_v4()) return tcp_listen(ip, port);
    const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 s{};
    s.sin6_family = AF_INET6;
    s.sin6_port = htons(port);
    const auto b = a.to_v6().to_bytes();
    std::memcpy(&s.sin6_addr, b.data(), b.size());
    if (::bind(fd, reinterpret_cast<sockaddr*>(&s), sizeof s) != 0 || ::listen(fd, 16) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot listen on " + ip);
    }
    return fd;
}

/// Echoes and records what it received; counts connections.
class sink {
public:
    explicit sink(int fd) : fd_(fd) {
        thread_ = std::thread([this] {
            for (;;) {
                const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
                if (c < 0) return;
                ++accepted_;
                std::thread([this, c] {
                    set_timeout(c, 5000);
                    char buf[16384];
                    for (;;) {
                        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
                        if (n <= 0) break;
                        {
                            std::lock_guard lock(mutex_);
                            received_.append(buf, static_cast<std::size_t>(n));
                        }
                        send_all(c, std::string(buf, static_cast<std::size_t>(n)));
                    }
                    ::close(c);
                }).detach();
            }
        });
    }
    ~sink() {
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
    }
    sink(const sink&) = delete;
    sink& operator=(const sink&) = delete;
    [[nodiscard]] int accepted() const { return accepted_; }
    [[nodiscard]] std::string received() {
        std::lock_guard lock(mutex_);
        return received_;
    }

private:
    int fd_;
    std::atomic<int> accepted_{0};
    std::mutex mutex_;
    std::string received_;
    std::thread thread_;
};

struct ProxyNetns : ::testing::Test {
    std::unique_ptr<netns_world> world;
    std::unique_ptr<fake_dns> dns;
    std::unique_ptr<sink> public_sink, public6_sink, internal_sink, loopback_sink;
    std::uint16_t sink_port = 0;
    bottle::test_support::temp_dir dir{"bottle-egress-netns"};
    std::filesystem::path log_path = dir.path() / "decisions.jsonl";
    std::unique_ptr<proxy_process> proxy;
    std::uint16_t port = 0;

    void SetUp() override {
        if (const auto why = netns_world::unavailable(); !why.empty()) GTEST_SKIP() << why;
        world = std::make_unique<netns_world>();
        dns = world->in_world([] { return std::make_unique<fake_dns>(netns_world::dns_v4); });
        // One port for every sink: whichever address a proxy dials, it lands on a sink.
        for (int attempt = 0; attempt < 20 && !loopback_sink; ++attempt) {
            std::vector<int> fds;
            try {
                fds.push_back(world->in_world([] { return listen_on(netns_world::public_v4, 0); }));
                sink_port = local_port(fds[0]);
                fds.push_back(world->in_world([&] { return listen_on(netns_world::internal_v4, sink_port); }));
                fds.push_back(world->in_world([&] { return listen_on(netns_world::public_v6, sink_port); }));
                fds.push_back(world->in_proxy([&] { return listen_on("127.0.0.1", sink_port); }));
            } catch (const std::exception&) {
                for (int fd : fds) ::close(fd);
                continue;
            }
            public_sink = std::make_unique<sink>(fds[0]);
            internal_sink = std::make_unique<sink>(fds[1]);
            public6_sink = std::make_unique<sink>(fds[2]);
            loopback_sink = std::make_unique<sink>(fds[3]);
        }
        ASSERT_TRUE(loopback_sink) << "no port free on every sink address";
    }

    static bool is_status(const std::string& head, int status) {
        return head.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0) == 0;
    }

    /// Starts bottle-egress inside the proxy namespace; the test's DNS
    /// server in the world namespace is its only nameserver.
    void start(std::vector<std::string> args, const std::string& listen = "127.0.0.1:0") {
        auto ns = bottle::os::open_netns(world->proxy_path());
        ASSERT_TRUE(ns) << ns.error().message;
        args.insert(args.end(), {"--listen", listen, "--log", log_path.string(), "--nameserver", dns->endpoint(), "--bottle-id", "netns"});
        proxy = std::make_unique<proxy_process>(std::move(args), -1, ns->get());
        const auto p = proxy->ready();
        ASSERT_TRUE(p.has_value()) << "no ready line: " << proxy->ready_line() << proxy->wait().err;
        port = *p;
    }

    /// A client socket made in the proxy namespace (where the bottle would be).
    int connect_proxy(bool v6 = false) {
        return world->in_proxy([&] {
            if (!v6) return tcp_connect("127.0.0.1", port);
            const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in6 a{};
            a.sin6_family = AF_INET6;
            a.sin6_port = htons(port);
            a.sin6_addr = in6addr_loopback;
            if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect [::1]");
            set_timeout(fd, 5000);
            return fd;
        });
    }

    /// CONNECT, then a nonce through the tunnel; the response head, and
    /// whether the nonce came back.
    std::pair<std::string, bool> tunnel(const std::string& authority, const std::string& nonce, bool v6 = false) {
        const int c = connect_proxy(v6);
        send_all(c, "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");
        const std::string head = recv_head(c);
        bool echoed = false;
        if (is_status(head, 200)) {
            send_all(c, nonce);
            echoed = recv_some(c, nonce.size()) == nonce;
        }
        ::close(c);
        return {head, echoed};
    }

    std::string svc(const std::string& name) const { return name + ":" + std::to_string(sink_port); }
    int count(const std::string& query) const {
        const auto q = dns->queries();
        return static_cast<int>(std::count(q.begin(), q.end(), query));
    }
};

TEST_F(ProxyNetns, RebindingAnswersNeverReachTheInternalAddresses) {
    dns->answer_sequence("rebind.example.com", {{netns_world::public_v4}, {netns_world::internal_v4}, {"127.0.0.1"}});
    start({"--allow-tunnel", svc("rebind.example.com")});
    // First CONNECT: one lookup (A + AAAA) answers the public address; the
    // dial goes there, and only there.
    auto [head, echoed] = tunnel(svc("rebind.example.com"), "nonce-first");
    EXPECT_TRUE(is_status(head, 200)) << head;
    EXPECT_TRUE(echoed);
    EXPECT_EQ(count("rebind.example.com/A"), 1);  // never a second lookup to dial
    EXPECT_EQ(count("rebind.example.com/AAAA"), 1);
    EXPECT_EQ(public_sink->received(), "nonce-first");
    // The next lookups answer 10.20.30.40, then 127.0.0.1: both refused
    // before any dial.
    for (const char* rebound : {netns_world::internal_v4, "127.0.0.1"}) {
        std::tie(head, echoed) = tunnel(svc("rebind.example.com"), "nonce-rebound");
        EXPECT_TRUE(is_status(head, 403)) << head;
        EXPECT_NE(head.find(std::string("deny floor: ") + rebound), std::string::npos) << head;
    }
    EXPECT_EQ(count("rebind.example.com/A"), 3);
    EXPECT_EQ(public_sink->accepted(), 1);
    EXPECT_EQ(internal_sink->accepted(), 0);
    EXPECT_EQ(loopback_sink->accepted(), 0);
    EXPECT_EQ(internal_sink->received().find("nonce"), std::string::npos);
    const auto log = wait_for_decisions(log_path, 3);
    ASSERT_TRUE(log.valid);
    ASSERT_EQ(log.decisions.size(), 3u) << log.raw;
    // A tunnel's line is written when it closes, which may come after the
    // next CONNECT's refusal: compare the lines as a set.
    std::multiset<std::string> lines;
    for (const auto& d : log.decisions) lines.insert(str(d, "decision") + " " + str(d, "address"));
    EXPECT_EQ(lines, (std::multiset<std::string>{"allow " + std::string(netns_world::public_v4) + ":" + std::to_string(sink_port), "deny ",
                                                 "deny "}))
        << log.raw;
}

TEST_F(ProxyNetns, PlainHttpIsResolvedOnceAndRebindingIsRefused) {
    dns->answer_sequence("rebind.example.com", {{netns_world::public_v4}, {netns_world::internal_v4}});
    start({"--allow", svc("rebind.example.com")});
    for (int i = 0; i < 2; ++i) {  // a new client connection each time: a new upstream dial
        const int c = connect_proxy();
        send_all(c, "GET http://" + svc("rebind.example.com") + "/x HTTP/1.1\r\nHost: " + svc("rebind.example.com") + "\r\n\r\n");
        const std::string head = recv_head(c);
        ::close(c);
        if (i == 1) {
            EXPECT_TRUE(is_status(head, 403)) << head;
        }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(public_sink->accepted(), 1);
    EXPECT_NE(public_sink->received().find("GET /x HTTP/1.1"), std::string::npos);  // the first request reached the vetted address
    EXPECT_EQ(internal_sink->accepted(), 0);
    EXPECT_EQ(count("rebind.example.com/A"), 2);
}

TEST_F(ProxyNetns, AMixedAnswerSetIsRefusedWhole) {
    dns->answer_sequence("mixed.example.com", {{netns_world::public_v4, "::1"}});
    start({"--allow-tunnel", svc("mixed.example.com")});
    const auto [head, echoed] = tunnel(svc("mixed.example.com"), "nonce-mixed");
    EXPECT_TRUE(is_status(head, 403)) << head;
    EXPECT_FALSE(echoed);
    EXPECT_EQ(public_sink->accepted(), 0);
    EXPECT_EQ(public6_sink->accepted(), 0);
    EXPECT_EQ(loopback_sink->accepted(), 0);
}

TEST_F(ProxyNetns, Ipv6UpstreamByAaaaAnswerAndByResolve) {
    dns->answer_sequence("six.example.com", {{netns_world::public_v6}});
    start({"--allow-tunnel", svc("six.example.com"), "--allow-tunnel", svc("six-static.example.com"), "--resolve",
           std::string("six-static.example.com=") + netns_world::public_v6});
    auto [head, echoed] = tunnel(svc("six.example.com"), "nonce-aaaa");
    EXPECT_TRUE(is_status(head, 200)) << head;
    EXPECT_TRUE(echoed);
    std::tie(head, echoed) = tunnel(svc("six-static.example.com"), "nonce-static");
    EXPECT_TRUE(is_status(head, 200)) << head;
    EXPECT_TRUE(echoed);
    EXPECT_EQ(public6_sink->received(), "nonce-aaaanonce-static");
    EXPECT_EQ(count("six-static.example.com/A") + count("six-static.example.com/AAAA"), 0);  // --resolve asks no server
    const auto log = wait_for_decisions(log_path, 2);
    ASSERT_EQ(log.decisions.size(), 2u) << log.raw;
    EXPECT_EQ(str(log.decisions[0], "address"), "[" + std::string(netns_world::public_v6) + "]:" + std::to_string(sink_port));
}

TEST_F(ProxyNetns, Ipv6AllTheWayFromAnIpv6Listener) {
    start({"--allow-tunnel", svc("six.example.com"), "--resolve", std::string("six.example.com=") + netns_world::public_v6}, "[::1]:0");
    const auto [head, echoed] = tunnel(svc("six.example.com"), "nonce-v6-v6", true);
    EXPECT_TRUE(is_status(head, 200)) << head;
    EXPECT_TRUE(echoed);
    const auto log = wait_for_decisions(log_path, 1);
    ASSERT_EQ(log.decisions.size(), 1u) << log.raw;
    EXPECT_EQ(str(log.decisions[0], "client").rfind("[::1]:", 0), 0u) << log.raw;
}

}  // namespace
