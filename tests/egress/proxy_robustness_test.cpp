// The real bottle-egress binary: slow and hostile clients, descriptors,
// hostile bytes in the log, shutdown.
#include "egress_fixture.hpp"

#include <dirent.h>

namespace {

using namespace bottle::egress::testing;

std::size_t open_descriptors(pid_t pid) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) ++n;
    return n;
}

TEST_F(EgressProxy, SlowHeadIsCutOffAndLogged) {
    start({"--allow", "svc.example.com", "--head-timeout", "0.3"});
    const int c = connect_proxy();
    send_all(c, "CONNECT svc.exa");
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(closed_within(c, 3000));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
    ::close(c);
    const auto log = wait_for_decisions(log_path, 1);
    ASSERT_EQ(log.decisions.size(), 1u);
    EXPECT_EQ(str(log.decisions[0], "reason"), "request head timeout");
}

TEST_F(EgressProxy, SilentClientIsCutOffToo) {
    start({"--allow", "svc.example.com", "--head-timeout", "0.3"});
    const int c = connect_proxy();
    EXPECT_TRUE(closed_within(c, 3000));
    ::close(c);
}

TEST_F(EgressProxy, AFloodOfRefusedConnectionsLeaksNoDescriptors) {
    start({"--allow", "svc.example.com"});
    const std::size_t before = open_descriptors(proxy->pid());
    for (int i = 0; i < 200; ++i) {
        const int c = connect_proxy();
        send_all(c, i % 2 ? "CONNECT evil.example.net:443 HTTP/1.1\r\n\r\n" : "garbage\r\n\r\n");
        if (i % 3 == 0) recv_head(c);
        ::close(c);
    }
    wait_for_decisions(log_path, 200);
    std::size_t after = 0;
    for (int i = 0; i < 100 && (after = open_descriptors(proxy->pid())) > before; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(after, before);
}

TEST_F(EgressProxy, ConnectionLimit) {
    start({"--allow", "svc.example.com", "--max-connections", "2"});
    const int a = connect_proxy(), b = connect_proxy();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const int c = connect_proxy();
    EXPECT_TRUE(closed_within(c, 2000));
    ::close(a);
    ::close(b);
    ::close(c);
    const auto log = wait_for_decisions(log_path, 1);
    ASSERT_GE(log.decisions.size(), 1u);
    EXPECT_NE(str(log.decisions[0], "reason").find("connection limit"), std::string::npos);
}

TEST_F(EgressProxy, HostileHostBytesStillMakeOneValidJsonLine) {
    start({"--allow", "svc.example.com"});
    const std::string hostile = "a\"b\\c}{\"decision\"=\"allow\"";
    int c = connect_proxy();
    send_all(c, "CONNECT " + hostile + ":443 HTTP/1.1\r\n\r\n");
    const std::string head = recv_head(c);
    EXPECT_TRUE(is_status(head, 403)) << head;
    ::close(c);
    c = connect_proxy();
    send_all(c, std::string("CONNECT \x01\xff:443 HTTP/1.1\r\n\r\n"));
    EXPECT_TRUE(is_status(recv_head(c), 400));
    ::close(c);
    const auto log = wait_for_decisions(log_path, 2);
    ASSERT_TRUE(log.valid) << log.raw;
    ASSERT_EQ(log.decisions.size(), 2u);
    EXPECT_EQ(str(log.decisions[0], "host"), hostile);
    EXPECT_EQ(str(log.decisions[0], "decision"), "deny");
    EXPECT_EQ(std::count(log.raw.begin(), log.raw.end(), '\n'), 3);  // start event + two decisions
}

TEST_F(EgressProxy, SigtermClosesOpenTunnelsAndExitsZero) {
    echo_server up{"127.0.0.2"};
    const std::string svc = "svc.example.com:" + std::to_string(up.port());
    start({"--allow-tunnel", svc, "--resolve", "svc.example.com=127.0.0.2", "--permit", "127.0.0.0/8"});
    const int c = connect_proxy();
    ASSERT_TRUE(is_status(connect_head(c, svc), 200));
    send_all(c, "x");
    EXPECT_EQ(recv_some(c, 1), "x");
    const auto r = proxy->stop(SIGTERM);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(closed_within(c, 1000));
    ::close(c);
    const auto log = read_log(log_path);
    ASSERT_EQ(log.decisions.size(), 1u);
    EXPECT_EQ(str(log.decisions[0], "decision"), "allow");
    EXPECT_NE(log.raw.find("\"event\":\"stop\""), std::string::npos);
}

}  // namespace
