// bottle-egress serving a unix socket (--listen-unix) and taking its
// arguments from standard input (--args-stdin), run as the real binary.
// The unix socket lives in the test's temp dir; every upstream is on
// 127.0.0.x.
#include "egress_fixture.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <sys/stat.h>
#include <sys/un.h>

namespace {

using namespace bottle::egress::testing;

int unix_connect(const std::filesystem::path& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const std::string p = path.string();
    std::memcpy(a.sun_path, p.c_str(), p.size() + 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot connect to " + p + ": " + std::strerror(errno));
    }
    set_timeout(fd, 5000);
    return fd;
}

/// One absolute-form GET on `fd`; returns the response (head and the body
/// named by Content-Length).
std::string get(int fd, const std::string& authority, const std::string& path = "/") {
    send_all(fd, "GET http://" + authority + path + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");
    std::string head = recv_head(fd);
    const auto at = head.find("Content-Length: ");
    if (at == std::string::npos) return head;
    return head + recv_some(fd, std::stoul(head.substr(at + 16)));
}

struct EgressUnix : EgressProxy {
    http_server up{"127.0.0.2"};
    echo_server echo{"127.0.0.2"};
    std::filesystem::path sock = dir.path() / "egress.sock";
    std::string authority() const { return "svc.example.com:" + std::to_string(up.port()); }
    void start_unix() {
        start({"--listen-unix", sock.string(), "--allow", authority(), "--allow-tunnel",
               "svc.example.com:" + std::to_string(echo.port()), "--resolve", "svc.example.com=127.0.0.2", "--permit",
               "127.0.0.0/8"});
    }
};

TEST_F(EgressUnix, ReadyLineListsTheSocketNextToTheTcpListener) {
    start_unix();
    const std::string line = proxy->ready_line();
    EXPECT_EQ(line.rfind("{\"listening\"", 0), 0u) << line;
    EXPECT_NE(line.find("\"unix:" + sock.string() + "\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"127.0.0.1:" + std::to_string(port) + "\""), std::string::npos) << line;
}

TEST_F(EgressUnix, UnixClientIsServedLikeATcpClient) {
    start_unix();
    int c = unix_connect(sock);
    const std::string r = get(c, authority(), "/via-unix");
    EXPECT_TRUE(is_status(r, 200)) << r;
    EXPECT_NE(r.find("response 1"), std::string::npos) << r;
    ASSERT_EQ(up.heads().size(), 1u);
    EXPECT_EQ(up.heads()[0].rfind("GET /via-unix HTTP/1.1\r\n", 0), 0u) << up.heads()[0];
    ::close(c);

    c = unix_connect(sock);  // a CONNECT tunnel, bytes both ways
    EXPECT_TRUE(is_status(connect_head(c, "svc.example.com:" + std::to_string(echo.port())), 200));
    send_all(c, "ping over unix");
    EXPECT_EQ(recv_some(c, 14), "ping over unix");
    ::close(c);

    c = unix_connect(sock);  // the same policy: another host is refused
    EXPECT_TRUE(is_status(get(c, "other.example.com"), 403));
    ::close(c);
    c = unix_connect(sock);
    EXPECT_TRUE(is_status(connect_head(c, "other.example.com:443"), 403));
    ::close(c);
    c = unix_connect(sock);  // and an address the route does not name, even on loopback
    EXPECT_TRUE(is_status(get(c, "127.0.0.3:" + std::to_string(up.port())), 403));
    ::close(c);

    const auto log = wait_for_decisions(log_path, 5);
    ASSERT_TRUE(log.valid) << log.raw;
    ASSERT_EQ(log.decisions.size(), 5u) << log.raw;
    int allowed = 0, denied = 0;  // the tunnel's line comes when it ends: order not fixed
    for (const auto& d : log.decisions) {
        EXPECT_EQ(str(d, "client"), "unix:" + sock.string()) << log.raw;
        allowed += str(d, "decision") == "allow";
        denied += str(d, "decision") == "deny";
    }
    EXPECT_EQ(allowed, 2) << log.raw;
    EXPECT_EQ(denied, 3) << log.raw;
}

TEST_F(EgressUnix, SocketIsMode0666AndGoneAfterSigterm) {
    start_unix();
    struct stat st {};
    ASSERT_EQ(::lstat(sock.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0666u);
    const auto r = proxy->stop(SIGTERM);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(sock))) << "socket file left behind";
}

TEST_F(EgressUnix, SigintRemovesTheSocketToo) {
    start_unix();
    const auto r = proxy->stop(SIGINT);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(sock)));
}

TEST_F(EgressUnix, ExistingPathIsRefusedAndLeftAlone) {
    std::ofstream(sock) << "not the proxy's";
    auto r = run_to_exit({"--listen-unix", sock.string(), "--allow", "a.example.com"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--listen-unix " + sock.string() + ": the path already exists"), std::string::npos) << r.err;
    std::ifstream in(sock);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "not the proxy's");

    // A stale socket is a file it did not create either.
    std::filesystem::remove(sock);
    const int stale = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, sock.c_str(), sock.string().size() + 1);
    ASSERT_EQ(::bind(stale, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ::close(stale);
    r = run_to_exit({"--listen-unix", sock.string(), "--allow", "a.example.com"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
    EXPECT_TRUE(std::filesystem::is_socket(sock));
}

TEST_F(EgressUnix, FailedStartRemovesTheSocketItCreated) {
    // The unix socket is created, then the busy TCP listener fails the start.
    const int taken = tcp_listen("127.0.0.1");
    const auto r = run_to_exit({"--listen-unix", sock.string(), "--listen", "127.0.0.1:" + std::to_string(local_port(taken)),
                                "--allow", "a.example.com"});
    ::close(taken);
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(sock)));
}

TEST(EgressUnixCli, HelpNamesTheOptions) {
    const auto help = run_to_exit({"--help"});
    EXPECT_EQ(help.code, 0);
    EXPECT_NE(help.out.find("--listen-unix PATH"), std::string::npos);
    EXPECT_NE(help.out.find("--args-stdin"), std::string::npos);
    EXPECT_NE(help.out.find("0666"), std::string::npos);
}

TEST(EgressUnixCli, PathChecksAreUsageErrors) {
    const std::string long_path = "/tmp/" + std::string(sizeof(sockaddr_un::sun_path), 'x');
    for (const auto& [args, why] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"--listen-unix", long_path, "--allow", "a.example.com"}, "longer than 107 bytes"},
             {{"--listen-unix", "/tmp/a.sock", "--listen-unix", "/tmp/a.sock", "--allow", "a.example.com"}, "given twice"},
             {{"--listen-unix", "", "--allow", "a.example.com"}, "--listen-unix"},
         }) {
        const auto r = run_to_exit(args);
        EXPECT_EQ(r.code, 2) << why;
        EXPECT_NE(r.err.find(why), std::string::npos) << "expected '" << why << "' in: " << r.err;
    }
}

// --- --args-stdin ---------------------------------------------------------------

/// A proxy started with `args`, its standard input a pipe the test writes.
struct stdin_proxy {
    std::unique_ptr<proxy_process> proc;
    int writer = -1;
    explicit stdin_proxy(std::vector<std::string> args) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
        proc = std::make_unique<proxy_process>(std::move(args), -1, -1, p[0]);
        ::close(p[0]);
        writer = p[1];
    }
    ~stdin_proxy() { close_input(); }
    void write(const std::string& bytes) const { ASSERT_EQ(::write(writer, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size())); }
    void close_input() {
        if (writer >= 0) ::close(writer);
        writer = -1;
    }
};

std::string json_array(const std::vector<std::string>& items) {
    boost::json::array a;
    for (const auto& i : items) a.emplace_back(i);
    return boost::json::serialize(a);
}

TEST_F(EgressUnix, ArgsStdinWaitsThenTakesItsRoutesFromTheLine) {
    stdin_proxy p({"--args-stdin"});
    // Started ahead of time: nothing printed, nothing listening, still running.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(sock)));
    EXPECT_EQ(::waitpid(p.proc->pid(), nullptr, WNOHANG), 0);
    p.write(json_array({"--listen-unix", sock.string(), "--allow", authority(), "--resolve", "svc.example.com=127.0.0.2",
                        "--permit", "127.0.0.0/8", "--log", log_path.string(), "--nameserver", dns.endpoint(), "--bottle-id",
                        "late"}) +
            "\n");
    const auto listening = p.proc->listening();
    ASSERT_TRUE(listening) << p.proc->ready_line() << p.proc->wait().err;
    EXPECT_EQ(*listening, std::vector<std::string>{"unix:" + sock.string()});

    int c = unix_connect(sock);
    const std::string r = get(c, authority());
    EXPECT_TRUE(is_status(r, 200)) << r;
    ::close(c);
    c = unix_connect(sock);
    EXPECT_TRUE(is_status(get(c, "other.example.com"), 403));
    ::close(c);
    const auto log = wait_for_decisions(log_path, 2);
    ASSERT_EQ(log.decisions.size(), 2u) << log.raw;
    EXPECT_EQ(str(log.decisions[0], "bottle"), "late") << log.raw;
    const auto stopped = p.proc->stop(SIGTERM);
    EXPECT_EQ(stopped.code, 0) << stopped.err;
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(sock)));
}

TEST(EgressArgsStdin, BadInputIsAUsageError) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"", "standard input ended before a whole line"},
        {R"(["--listen", "127.0.0.1:0", "--allow", "a.example.com"])", "standard input ended before a whole line"},  // no newline
        {"[\"--allow\"\n", "not a JSON array of strings"},
        {"--allow a.example.com\n", "not a JSON array of strings"},
        {R"({"--allow": "a.example.com"})" "\n", "not an array"},
        {R"(["--listen", 8080])" "\n", "element 1 is not a string"},
        {R"(["--listen", ["127.0.0.1:0"]])" "\n", "element 1 is not a string"},
        {R"(["--listen", "127.0.0.1:0", "--args-stdin"])" "\n", "element 2 is --args-stdin again"},
        {R"(["--allow", "a.example.com"])" "\n", "nothing to listen on"},  // the line parsed, the whole checked as usual
    };
    for (const auto& [input, why] : cases) {
        stdin_proxy p({"--args-stdin"});
        p.write(input);
        p.close_input();
        const auto r = p.proc->wait();
        EXPECT_EQ(r.code, 2) << input;
        EXPECT_NE(r.err.find(why), std::string::npos) << "expected '" << why << "' in: " << r.err;
        EXPECT_NE(r.err.find("usage: bottle-egress"), std::string::npos);
    }
}

TEST(EgressArgsStdin, TwiceOnTheCommandLineIsAUsageError) {
    stdin_proxy p({"--args-stdin", "--args-stdin"});
    const auto r = p.proc->wait();
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("--args-stdin was given twice"), std::string::npos) << r.err;
}

TEST(EgressArgsStdin, LineOverOneMebibyteIsRefused) {
    stdin_proxy p({"--args-stdin"});
    // Exactly one byte too many, so the proxy reads every byte written (no
    // EPIPE here when it exits).
    std::thread feed([&] {
        const std::string line = "[" + std::string(1024 * 1024, ' ');
        std::size_t done = 0;
        while (done < line.size()) {
            const ssize_t n = ::write(p.writer, line.data() + done, line.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
    });
    const auto r = p.proc->wait();
    feed.join();
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("longer than 1048576 bytes"), std::string::npos) << r.err;
}

}  // namespace
