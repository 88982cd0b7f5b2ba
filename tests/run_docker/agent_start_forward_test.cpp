// bottle-agent-start --forward on the host, no docker: the built static
// program relays a loopback TCP port to a unix socket served by the test
// (uppercase echo, and a trailer written only once the client's end of file
// arrived, so every reply proves the half-close went through). The test is
// a child subreaper while it runs: the relay, double-forked away from the
// agent, is reparented to the test, which checks where it hangs and kills
// and reaps it by pid at the end.
#include "bottle/os/spawn.hpp"

#include "run_docker/forward_lab.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace agent_start_forward_test {

using namespace std::chrono_literals;
using namespace bottle::test_support;

const std::string agent_start = BOTTLE_BINARY_DIR "/tools/bottle-run/bottle-agent-start";

/// bottle-agent-start running: its stdin is `go` (a socket, so writing to
/// it never raises SIGPIPE in the test), its stdout and stderr `output`.
struct started {
    pid_t pid = -1;
    int go = -1;
    int output = -1;
};

started start_agent_process(const std::vector<std::string>& args) {
    std::vector<std::string> argv{agent_start};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv;
    for (auto& a : argv) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    int in[2], out[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
        throw std::runtime_error("start_agent: no pipes");
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(in[1], 0);
        ::dup2(out[1], 1);
        ::dup2(out[1], 2);
        ::execv(c_argv[0], c_argv.data());
        ::_exit(127);
    }
    ::close(in[1]);
    ::close(out[1]);
    return {pid, in[0], out[0]};
}

/// Reads the agent's output until it says `line` (the agent runs, so the
/// forwarder listens and its relay runs): false after 10 s or at its end.
bool await_line(started& s, const std::string& line) {
    std::string seen;
    while (seen.size() < line.size()) {
        pollfd p{s.output, POLLIN, 0};
        char byte;
        if (::poll(&p, 1, 10'000) <= 0 || ::read(s.output, &byte, 1) != 1) return false;
        seen += byte;
    }
    return seen == line;
}

struct ended {
    int code = -1;
    std::string output;
    bool in_time = false;  ///< its output reached end of file and it exited within the limit
};

/// Closes the agent's stdin, reads its output to the end and reaps it; past
/// `limit`, SIGKILLs it (in_time false).
ended finish(started& s, std::chrono::milliseconds limit = 10s) {
    ::close(s.go);
    s.go = -1;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    auto left = [&] {
        return static_cast<int>(std::max<long long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count()));
    };
    ended e;
    bool eof = false;
    while (!eof) {
        pollfd p{s.output, POLLIN, 0};
        if (::poll(&p, 1, left()) <= 0) break;
        char buffer[4096];
        const ssize_t n = ::read(s.output, buffer, sizeof buffer);
        if (n <= 0) eof = true;
        else e.output.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(s.output);
    int status = 0;
    pid_t reaped = 0;
    while ((reaped = ::waitpid(s.pid, &status, WNOHANG)) == 0 && left() > 0) std::this_thread::sleep_for(10ms);
    if (reaped == 0) {
        ::kill(s.pid, SIGKILL);
        ::waitpid(s.pid, &status, 0);
    }
    e.in_time = eof && reaped == s.pid;
    e.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    s.pid = -1;
    return e;
}

std::string status_field(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field + ":", 0) == 0) {
            const auto value = line.find_first_not_of(" \t", field.size() + 1);
            return value == std::string::npos ? "" : line.substr(value);
        }
    return "";
}

/// The test's children named `name` (the kernel's 15-character comm).
std::vector<pid_t> children_named(const std::string& name) {
    std::vector<pid_t> out;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string pid_text = entry.path().filename().string();
        if (pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
        const pid_t pid = std::stoi(pid_text);
        if (status_field(pid, "Name") == name && status_field(pid, "PPid") == std::to_string(::getpid())) out.push_back(pid);
    }
    return out;
}

/// The relays the test adopted.
std::vector<pid_t> adopted_relays() { return children_named("bottle-forward"); }

class AgentStartForward : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::filesystem::exists(agent_start)) GTEST_SKIP() << "bottle-agent-start is not built";
        ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0) << std::strerror(errno);
        subreaper_ = true;
        port_ = free_port();
        forward_ = "127.0.0.1:" + std::to_string(port_) + "=" + socket_;
    }
    void TearDown() override {
        if (!subreaper_) return;
        // A test that stopped early: its agent killed, the relay's middle
        // process (if forked) reaped, so that a relay, if forked, is ours.
        if (agent_.pid > 0) {
            if (agent_.go >= 0) ::close(agent_.go);
            ::close(agent_.output);
            ::kill(agent_.pid, SIGKILL);
            ::waitpid(agent_.pid, nullptr, 0);
        }
        for (pid_t middle : children_named("bottle-agent-st")) ::waitpid(middle, nullptr, 0);
        for (pid_t relay : adopted_relays()) {
            ::kill(relay, SIGKILL);
            ::waitpid(relay, nullptr, 0);
        }
        ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    }
    /// Runs to the end with `stdin_bytes` as stdin ("" is end of file at once).
    bottle::os::spawn_output run(std::vector<std::string> args, const std::string& stdin_bytes = "g") {
        bottle::os::spawn_request r;
        r.argv = {agent_start};
        r.argv.insert(r.argv.end(), args.begin(), args.end());
        r.stdin_bytes = stdin_bytes;
        auto o = bottle::os::spawn(r);
        if (!o) throw std::runtime_error(o.error().message);
        return *o;
    }

    /// The agent of this test, cleaned up in TearDown unless finished.
    started& start_agent(const std::vector<std::string>& args) {
        agent_ = start_agent_process(args);
        return agent_;
    }

    started agent_;
    bottle::test_support::temp_dir dir_{"bottle-forward"};
    std::string socket_ = (dir_.path() / "egress.sock").string();
    bool subreaper_ = false;
    int port_ = 0;
    std::string forward_;
};

TEST_F(AgentStartForward, RelaysConcurrentConnectionsBothWaysWithHalfClose) {
    upper_server server(socket_);
    auto& s = start_agent({"--forward", forward_, "--go", "--", "sh", "-c", "echo ready; read line; echo \"agent saw end of input\""});
    ASSERT_TRUE(send_all(s.go, "g"));
    ASSERT_TRUE(await_line(s, "ready\n"));
    std::vector<std::string> replies(8);
    std::vector<std::string> requests(8);
    std::vector<std::thread> clients;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        for (std::size_t j = 0; j < 256 * 1024; ++j) requests[i] += static_cast<char>('a' + (i + j) % 26);
        clients.emplace_back([&, i] { replies[i] = round_trip(port_, requests[i]); });
    }
    for (auto& c : clients) c.join();
    for (std::size_t i = 0; i < requests.size(); ++i) {
        EXPECT_EQ(replies[i].size(), requests[i].size() + 5) << "connection " << i << ": " << replies[i].substr(replies[i].size() > 200 ? replies[i].size() - 200 : 0);
        EXPECT_TRUE(replies[i] == upper(requests[i]) + "|eof\n") << "connection " << i;
    }
    EXPECT_EQ(server.connections(), 8);
    // An empty request: the client's end of file alone still gets the trailer.
    EXPECT_EQ(round_trip(port_, ""), "|eof\n");

    // The agent ends (its input ended); its output ends with it although
    // the relay, holding no copy of it, goes on.
    auto e = finish(s);
    EXPECT_TRUE(e.in_time) << e.output;
    EXPECT_EQ(e.code, 0) << e.output;
    EXPECT_EQ(e.output, "agent saw end of input\n");
    EXPECT_EQ(adopted_relays().size(), 1u);
    EXPECT_EQ(round_trip(port_, "still here"), "STILL HERE|eof\n");
}

TEST_F(AgentStartForward, RelayIsNoChildOfTheAgentAndHoldsNoneOfItsDescriptors) {
    upper_server server(socket_);
    // The agent's descriptors, each as "NUMBER TARGET"; then `wait`, which
    // must not wait for the relay.
    auto& s = start_agent({"--forward", forward_, "--go", "--", "sh", "-c",
                          "for f in /proc/$$/fd/*; do echo \"${f##*/} $(readlink $f)\"; done; wait; echo done"});
    ASSERT_TRUE(send_all(s.go, "g"));
    auto e = finish(s, 5s);
    ASSERT_TRUE(e.in_time) << e.output;
    EXPECT_EQ(e.code, 0) << e.output;
    ASSERT_GE(e.output.size(), 5u);
    EXPECT_EQ(e.output.substr(e.output.size() - 5), "done\n") << e.output;
    std::istringstream lines(e.output);
    std::string line;
    while (std::getline(lines, line)) {
        if (line == "done") continue;
        const int fd = std::atoi(line.c_str());
        if (fd > 2) {
            EXPECT_EQ(line.find("socket:"), std::string::npos) << "the agent inherited " << line;
        }
    }

    const auto relays = adopted_relays();
    ASSERT_EQ(relays.size(), 1u) << "the relay is not reparented to the test (still a child of the agent?)";
    EXPECT_EQ(status_field(relays[0], "PPid"), std::to_string(::getpid()));
    EXPECT_EQ(std::to_string(::getsid(relays[0])), std::to_string(relays[0])) << "the relay is not in a session of its own";
    // It holds /dev/null as its std descriptors and its listening socket,
    // nothing the test passed down to the agent.
    const std::string fds = "/proc/" + std::to_string(relays[0]) + "/fd/";
    for (int fd = 0; fd <= 2; ++fd) EXPECT_EQ(std::filesystem::read_symlink(fds + std::to_string(fd)), "/dev/null") << fd;
    std::vector<std::string> held;
    for (const auto& entry : std::filesystem::directory_iterator(fds))
        if (std::atoi(entry.path().filename().c_str()) > 2) held.push_back(std::filesystem::read_symlink(entry.path()).string());
    std::string shown;
    for (const auto& h : held) shown += h + " ";
    ASSERT_EQ(held.size(), 1u) << shown;
    EXPECT_EQ(held[0].rfind("socket:", 0), 0u) << held[0];
    EXPECT_EQ(round_trip(port_, "after the agent"), "AFTER THE AGENT|eof\n");
}

TEST_F(AgentStartForward, DeadSocketClosesTheClientConnection) {
    // Nothing listens on the socket: each connection is closed at once.
    auto& s = start_agent({"--forward", forward_, "--go", "--", "sh", "-c", "echo ready; read line"});
    ASSERT_TRUE(send_all(s.go, "g"));
    ASSERT_TRUE(await_line(s, "ready\n"));
    for (int i = 0; i < 3; ++i) {
        const int fd = connect_port(port_);
        ASSERT_GE(fd, 0) << std::strerror(errno);
        (void)send_all(fd, "GET / HTTP/1.1\r\n\r\n");
        char byte;
        const ssize_t n = ::recv(fd, &byte, 1, 0);
        const int e = errno;
        EXPECT_TRUE(n == 0 || (n < 0 && (e == ECONNRESET || e == EPIPE))) << n << " " << std::strerror(e);
        ::close(fd);
    }
    // Once the proxy is there, the same forwarder reaches it.
    upper_server server(socket_);
    EXPECT_EQ(round_trip(port_, "late"), "LATE|eof\n");
    auto e = finish(s);
    EXPECT_TRUE(e.in_time) << e.output;
}

TEST_F(AgentStartForward, RefusesBadValuesAsUsageErrors) {
    const std::string marker = (dir_.path() / "ran").string();
    const std::string long_path = "/" + std::string(110, 'x');
    const std::vector<std::vector<std::string>> refused = {
        {"--forward", "127.0.0.1:3128", "--go"},
        {"--forward", "127.0.0.1=/s", "--go"},
        {"--forward", "localhost:3128=/s", "--go"},
        {"--forward", "127.1:3128=/s", "--go"},
        {"--forward", "127.0.0.01:3128=/s", "--go"},
        {"--forward", "::1:3128=/s", "--go"},
        {"--forward", "[::1]:3128=/s", "--go"},
        {"--forward", "127.0.0.1:=/s", "--go"},
        {"--forward", "127.0.0.1:0=/s", "--go"},
        {"--forward", "127.0.0.1:65536=/s", "--go"},
        {"--forward", "127.0.0.1:03128=/s", "--go"},
        {"--forward", "127.0.0.1:+3128=/s", "--go"},
        {"--forward", "127.0.0.1:3128 =/s", "--go"},
        {"--forward", "127.0.0.1:3128=", "--go"},
        {"--forward", "127.0.0.1:3128=egress.sock", "--go"},
        {"--forward", "127.0.0.1:3128=" + long_path, "--go"},
        {"--forward", forward_, "--forward", forward_, "--go"},
        {"--forward", forward_},
        {"--go", "--forward", forward_},
    };
    for (auto args : refused) {
        std::string shown;
        for (const auto& a : args) shown += a + " ";
        args.insert(args.end(), {"--", "touch", marker});
        auto o = run(args);
        EXPECT_EQ(o.exit_code, 2) << shown << o.err;
        EXPECT_NE(o.err.find("usage: bottle-agent-start [--forward ADDR:PORT=SOCKET_PATH]"), std::string::npos) << shown << o.err;
        EXPECT_FALSE(std::filesystem::exists(marker)) << shown;
    }
    auto o = run({"--forward", "127.0.0.1:99999=/s", "--go", "--", "true"});
    EXPECT_NE(o.err.find("'99999' is not a port"), std::string::npos) << o.err;
    EXPECT_TRUE(adopted_relays().empty());
    // The control: a good value with the same command runs it.
    o = run({"--forward", forward_, "--go", "--", "touch", marker});
    EXPECT_EQ(o.exit_code, 0) << o.err;
    EXPECT_TRUE(std::filesystem::exists(marker));
}

TEST_F(AgentStartForward, OccupiedPortExits125WithoutRunningTheAgent) {
    const int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port_));
    ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << std::strerror(errno);
    ASSERT_EQ(::listen(holder, 1), 0);
    const std::string marker = (dir_.path() / "ran").string();
    auto o = run({"--forward", forward_, "--go", "--", "touch", marker});
    ::close(holder);
    EXPECT_EQ(o.exit_code, 125) << o.err;
    EXPECT_NE(o.err.find("127.0.0.1:" + std::to_string(port_)), std::string::npos) << o.err;
    EXPECT_NE(o.err.find(std::strerror(EADDRINUSE)), std::string::npos) << o.err;
    EXPECT_FALSE(std::filesystem::exists(marker));
    EXPECT_TRUE(adopted_relays().empty());
}

TEST_F(AgentStartForward, EndOfFileInsteadOfTheGoExits125AndStartsNoRelay) {
    const std::string marker = (dir_.path() / "ran").string();
    auto o = run({"--forward", forward_, "--go", "--", "touch", marker}, "");
    EXPECT_EQ(o.exit_code, 125) << o.err;
    EXPECT_NE(o.err.find("the agent was not started"), std::string::npos) << o.err;
    EXPECT_FALSE(std::filesystem::exists(marker));
    EXPECT_TRUE(adopted_relays().empty());
    const int fd = connect_port(port_);
    EXPECT_LT(fd, 0) << "the port is still listened on";
    if (fd >= 0) ::close(fd);
}

}  // namespace agent_start_forward_test
