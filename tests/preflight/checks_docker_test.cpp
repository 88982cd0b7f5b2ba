#include "bottle-preflight/checks_docker.hpp"

#include "support/fake_probes.hpp"
#include "support/text.hpp"

#include <gtest/gtest.h>

namespace {

using namespace bottle::preflight;
using bottle::errc;
using bottle::preflight::testing::healthy_host;

using bottle::test_support::contains;

TEST(DockerChecks, HealthyHostUsesRunsc) {
    auto f = healthy_host();
    const auto checks = docker_checks(f);
    ASSERT_EQ(checks.size(), 3u);
    EXPECT_EQ(checks[0].id, "docker.cli");
    EXPECT_EQ(checks[1].id, "docker.daemon");
    EXPECT_EQ(checks[2].id, "docker.runsc");
    for (const auto& c : checks) {
        EXPECT_EQ(c.status, check_status::ok) << c.id << ": " << c.found;
        EXPECT_EQ(c.category, "docker");
    }
    EXPECT_TRUE(contains(checks[0].found, "Docker version 24.0.7"));
    EXPECT_TRUE(contains(checks[2].found, "bottles will use runsc"));
    // The daemon was asked over its socket only; the CLI only for its own version.
    EXPECT_EQ(f.ran, std::vector<std::string>{"/usr/bin/docker --version"});
    EXPECT_EQ(f.http_asked, (std::vector<std::string>{"/var/run/docker.sock /_ping", "/var/run/docker.sock /info"}));
}

TEST(DockerChecks, CliMissingOrBroken) {
    auto f = healthy_host();
    f.on_path.erase("docker");
    auto missing = check_docker_cli(f);
    EXPECT_EQ(missing.status, check_status::fail);
    EXPECT_TRUE(contains(missing.remedy, "docs.docker.com"));
    f = healthy_host();
    f.command("/usr/bin/docker --version", 127, "", "exec format error\n");
    auto broken = check_docker_cli(f);
    EXPECT_EQ(broken.status, check_status::fail);
    EXPECT_TRUE(contains(broken.found, "exec format error"));
    f.commands.insert_or_assign("/usr/bin/docker --version", command_output{-1, true, "", ""});
    EXPECT_EQ(check_docker_cli(f).status, check_status::fail);
}

TEST(DockerChecks, DaemonNotRunning) {
    auto f = healthy_host();
    f.http.clear();
    const auto checks = docker_checks(f);
    EXPECT_EQ(checks[1].status, check_status::fail);
    EXPECT_TRUE(contains(checks[1].found, "no socket at /var/run/docker.sock"));
    EXPECT_TRUE(contains(checks[1].remedy, "systemctl start docker"));
    EXPECT_EQ(checks[2].status, check_status::warn);
    EXPECT_TRUE(contains(checks[2].found, "not checked"));
    EXPECT_EQ(f.http_asked.size(), 1u) << "no /info after a failed ping";
}

TEST(DockerChecks, DaemonPermissionRefusedTimeoutAndBadStatus) {
    auto f = healthy_host();
    const docker_endpoint at{"/var/run/docker.sock", "unix:///var/run/docker.sock"};
    f.http.insert_or_assign("/var/run/docker.sock /_ping", bottle::make_error(errc::permission_denied, "denied"));
    auto denied = check_docker_daemon(f, at);
    EXPECT_EQ(denied.status, check_status::fail);
    EXPECT_TRUE(contains(denied.remedy, "usermod -aG docker"));

    f.http.insert_or_assign("/var/run/docker.sock /_ping", bottle::make_error(errc::io_error, "connection refused"));
    auto refused = check_docker_daemon(f, at);
    EXPECT_EQ(refused.status, check_status::fail);
    EXPECT_TRUE(contains(refused.found, "connection refused"));

    f.http.insert_or_assign("/var/run/docker.sock /_ping", bottle::make_error(errc::timeout, "slow"));
    auto slow = check_docker_daemon(f, at);
    EXPECT_EQ(slow.status, check_status::fail);
    EXPECT_TRUE(contains(slow.found, "did not answer"));

    f.http.insert_or_assign("/var/run/docker.sock /_ping", http_reply{500, "boom"});
    auto bad = check_docker_daemon(f, at);
    EXPECT_EQ(bad.status, check_status::fail);
    EXPECT_TRUE(contains(bad.found, "HTTP 500"));
}

TEST(DockerChecks, DockerHostUnixSocketIsFollowed) {
    auto f = healthy_host();
    f.env["DOCKER_HOST"] = "unix:///run/user/1000/docker.sock";
    f.http.insert_or_assign("/run/user/1000/docker.sock /_ping", http_reply{200, "OK"});
    f.http.insert_or_assign("/run/user/1000/docker.sock /info", http_reply{200, R"({"Runtimes":{"runc":{}}})"});
    const auto checks = docker_checks(f);
    EXPECT_EQ(checks[1].status, check_status::ok);
    EXPECT_TRUE(contains(checks[1].found, "unix:///run/user/1000/docker.sock"));
    EXPECT_EQ(checks[2].status, check_status::warn);
}

TEST(DockerChecks, RemoteDockerHostIsNeverContacted) {
    for (const char* host : {"tcp://10.0.0.5:2375", "ssh://me@build", "unix://relative.sock", "npipe:////./pipe/docker"}) {
        auto f = healthy_host();
        f.env["DOCKER_HOST"] = host;
        const auto checks = docker_checks(f);
        EXPECT_EQ(checks[1].status, check_status::warn) << host;
        EXPECT_TRUE(contains(checks[1].found, "not a local unix socket")) << host;
        EXPECT_TRUE(f.http_asked.empty()) << host;
        EXPECT_EQ(checks[2].status, check_status::warn);
    }
}

TEST(DockerChecks, RuncOnlyWarnsAndSaysWhichRuntime) {
    auto f = healthy_host();
    f.http.insert_or_assign("/var/run/docker.sock /info", http_reply{200, R"({"Runtimes":{"io.containerd.runc.v2":{},"runc":{},"runsc-debug":{}}})"});
    auto c = check_docker_runsc(f, resolve_docker_endpoint(f), true);
    EXPECT_EQ(c.status, check_status::warn);
    EXPECT_TRUE(contains(c.found, "bottles will use runc")) << c.found;
    EXPECT_TRUE(contains(c.found, "runsc-debug")) << "lists what is registered";
    EXPECT_TRUE(contains(c.remedy, "runsc install"));
}

TEST(DockerChecks, RuntimeListUnreadableWarns) {
    auto f = healthy_host();
    const auto at = resolve_docker_endpoint(f);
    for (const char* body : {"not json", "[]", R"({"Runtimes":[]})", R"({"ServerVersion":"1"})"}) {
        f.http.insert_or_assign("/var/run/docker.sock /info", http_reply{200, body});
        EXPECT_EQ(check_docker_runsc(f, at, true).status, check_status::warn) << body;
    }
    f.http.insert_or_assign("/var/run/docker.sock /info", http_reply{403, ""});
    EXPECT_TRUE(contains(check_docker_runsc(f, at, true).found, "HTTP 403"));
    f.http.erase("/var/run/docker.sock /info");
    EXPECT_EQ(check_docker_runsc(f, at, true).status, check_status::warn);
}

}  // namespace
