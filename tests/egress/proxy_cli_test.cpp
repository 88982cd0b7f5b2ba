// bottle-egress's command line, run as the real binary.
#include "egress_fixture.hpp"

namespace {

using namespace bottle::egress::testing;

TEST(EgressCli, UsageErrorsExitTwoAndSayWhy) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{}, "nothing to listen on"},
        {{"--listen", "127.0.0.1:0"}, "no routes"},
        {{"--listen", "127.0.0.1:0", "--allow", "*.com"}, "top-level domain"},
        {{"--listen", "127.0.0.1:0", "--allow", "*"}, "every host"},
        {{"--listen", "127.0.0.1:0", "--allow", "co.uk"}, "public suffix"},
        {{"--listen", "127.0.0.1:0", "--allow", "a.example.com:0"}, "not a port"},
        {{"--listen", "127.0.0.1:0", "--allow", "a.example.com:443,x"}, "not a port"},
        {{"--listen", "localhost:0", "--allow", "a.example.com"}, "--listen"},
        {{"--listen", "127.0.0.1:0", "--allow", "a.example.com", "--resolve", "a.example.com=010.0.0.1"}, "--resolve"},
        {{"--listen", "127.0.0.1:0", "--allow", "a.example.com", "--permit", "10.0.0.1/8"}, "--permit"},
        {{"--listen", "127.0.0.1:0", "--allow", "a.example.com", "--nameserver", "dns.example.com"}, "--nameserver"},
        {{"--listen", "127.0.0.1:0", "--allow", "a.example.com", "--manifest", "/nonexistent"}, "exclude each other"},
        {{"--listen", "127.0.0.1:0", "--manifest", "/nonexistent"}, "--bottle"},
        {{"--listen", "127.0.0.1:0", "--bottle", "dev"}, "--manifest"},
        {{"--listen", "127.0.0.1:0", "--allow", "a.example.com", "--idle-timeout", "-1"}, "--idle-timeout"},
        {{"--listen", "127.0.0.1:0", "--allow", "a.example.com", "--frobnicate"}, "unknown option"},
        {{"--listen", "127.0.0.1:0", "--allow", "a.example.com", "--log", "a", "--log", "b"}, "twice"},
    };
    for (const auto& [args, why] : cases) {
        const auto r = run_to_exit(args);
        EXPECT_EQ(r.code, 2) << why;
        EXPECT_NE(r.err.find(why), std::string::npos) << "expected '" << why << "' in: " << r.err;
        EXPECT_NE(r.err.find("usage: bottle-egress"), std::string::npos);
    }
}

TEST(EgressCli, HelpAndVersion) {
    const auto help = run_to_exit({"--help"});
    EXPECT_EQ(help.code, 0);
    EXPECT_NE(help.out.find("Example:"), std::string::npos);
    EXPECT_NE(help.out.find("--listen-fd"), std::string::npos);
    const auto version = run_to_exit({"--version"});
    EXPECT_EQ(version.code, 0);
    EXPECT_EQ(version.out.rfind("bottle-egress ", 0), 0u);
}

TEST(EgressCli, StartupFailuresExitOne) {
    const int taken = tcp_listen("127.0.0.1");
    auto r = run_to_exit({"--listen", "127.0.0.1:" + std::to_string(local_port(taken)), "--allow", "a.example.com"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--listen"), std::string::npos) << r.err;
    ::close(taken);
    r = run_to_exit({"--listen-fd", "0", "--allow", "a.example.com"});  // stdin is a pipe, not a listener
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--listen-fd 0"), std::string::npos) << r.err;
    r = run_to_exit({"--listen", "127.0.0.1:0", "--allow", "a.example.com", "--log", "/nonexistent/dir/log"});
    EXPECT_EQ(r.code, 1);
}

struct EgressManifest : EgressProxy {
    echo_server up{"127.0.0.2"};
    std::filesystem::path manifest = dir.path() / "bottles.json";
    void write_manifest() {
        std::ofstream(manifest) << R"({"bottles": {"base": {"egress": [{"host": "svc.example.com", "ports": [)" << up.port()
                                << R"(]}]}, "dev": {"extends": "base"}, "other": {"egress": [{"host": "other.example.com"}]}}})";
    }
};

TEST_F(EgressManifest, RoutesComeFromTheResolvedBottle) {
    write_manifest();
    start({"--manifest", manifest.string(), "--bottle", "dev", "--resolve", "svc.example.com=127.0.0.2", "--permit", "127.0.0.0/8"});
    int c = connect_proxy();
    EXPECT_TRUE(is_status(connect_head(c, "svc.example.com:" + std::to_string(up.port())), 200));
    ::close(c);
    c = connect_proxy();
    EXPECT_TRUE(is_status(connect_head(c, "other.example.com:443"), 403));
    ::close(c);
}

TEST_F(EgressManifest, TlsFalseRoutePermitsANonTlsTunnelOnlyThere) {
    echo_server other{"127.0.0.2"};
    const std::string git = std::to_string(up.port()), api = std::to_string(other.port());
    std::ofstream(manifest) << R"({"bottles": {"dev": {"egress": [{"host": "git.example.com", "ports": [)" << git
                            << R"(], "tls": false}, {"host": "api.example.com", "ports": [)" << api << R"(]}]}}})";
    start({"--manifest", manifest.string(), "--bottle", "dev", "--resolve", "git.example.com=127.0.0.2", "--resolve",
           "api.example.com=127.0.0.2", "--permit", "127.0.0.0/8"});
    int c = connect_proxy();
    ASSERT_TRUE(is_status(connect_head(c, "git.example.com:" + git), 200));
    send_all(c, "SSH-2.0-manifest\r\n");
    EXPECT_EQ(recv_some(c, 18), "SSH-2.0-manifest\r\n");
    ::close(c);
    c = connect_proxy();  // the same bytes on a route without "tls": false are refused
    ASSERT_TRUE(is_status(connect_head(c, "api.example.com:" + api), 200));
    send_all(c, "SSH-2.0-manifest\r\n");
    EXPECT_TRUE(closed_within(c, 2000));
    ::close(c);
    EXPECT_EQ(other.received(), "");
    const auto log = wait_for_decisions(log_path, 2);
    ASSERT_EQ(log.decisions.size(), 2u) << log.raw;
    for (const auto& d : log.decisions) {  // written when each tunnel ends, in either order
        const bool git_route = str(d, "host") == "git.example.com";
        EXPECT_EQ(str(d, "decision"), git_route ? "allow" : "deny") << log.raw;
        if (!git_route) {
            EXPECT_NE(str(d, "reason").find("TLS"), std::string::npos) << log.raw;
        }
    }
}

TEST_F(EgressManifest, TlsFalseOnAWildcardIsAUsageError) {
    std::ofstream(manifest) << R"({"bottles": {"dev": {"egress": [{"host": "*.example.com", "ports": [22], "tls": false}]}}})";
    const auto r = run_to_exit({"--listen", "127.0.0.1:0", "--manifest", manifest.string(), "--bottle", "dev"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("tls"), std::string::npos) << r.err;
}

TEST_F(EgressManifest, UnknownBottleIsAUsageError) {
    write_manifest();
    const auto r = run_to_exit({"--listen", "127.0.0.1:0", "--manifest", manifest.string(), "--bottle", "nope"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("nope"), std::string::npos) << r.err;
}

}  // namespace
