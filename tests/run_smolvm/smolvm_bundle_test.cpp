#include "bottle-run/backends/smolmachines/docker_bundle.hpp"

#include "smolvm_fixture.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <iostream>

namespace sm = bottle::run::smolmachines;
namespace json = boost::json;
using bottle::test_support::smolvm_launch;

TEST(SmolvmDockerBundle, PublishesOnlyOnTheAliasAndIsConfined) {
    const sm::docker_bundle_spec spec{"bot-bottle/egress:0123456789abcdef", "bb-1", "dev", "boot/42"};
    const auto body = sm::bundle_container_body(spec, bottle::net::address_v4(0x7f000011u), 3128,
                                                 {{"api.example.com:443", "*.example.org"}, {"git.example.com:22"}});
    const auto& host = body.at("HostConfig").as_object();
    const auto& bindings = host.at("PortBindings").as_object();
    ASSERT_EQ(bindings.size(), 1u);
    const auto& b = bindings.at("3128/tcp").as_array();
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].at("HostIp").as_string(), "127.0.0.17");  // never 0.0.0.0 or 127.0.0.1
    EXPECT_EQ(b[0].at("HostPort").as_string(), "3128");
    EXPECT_FALSE(host.at("PublishAllPorts").as_bool());
    EXPECT_FALSE(host.at("Privileged").as_bool());
    EXPECT_TRUE(host.at("ReadonlyRootfs").as_bool());
    EXPECT_EQ(json::serialize(host.at("CapDrop")), R"(["ALL"])");
    EXPECT_EQ(json::serialize(host.at("SecurityOpt")), R"(["no-new-privileges:true"])");
    EXPECT_EQ(body.at("User").as_string(), "65534:65534");
    EXPECT_EQ(body.at("Image").as_string(), spec.image);
    EXPECT_EQ(json::serialize(body.at("Cmd")),
              R"(["/bottle-egress","--listen","0.0.0.0:3128","--bottle-id","bb-1","--allow","api.example.com:443","--allow","*.example.org","--allow-tunnel","git.example.com:22"])");
    const auto& labels = body.at("Labels").as_object();
    EXPECT_EQ(labels.at("bot-bottle.id").as_string(), "bb-1");
    EXPECT_EQ(labels.at("bot-bottle.launcher").as_string(), "boot/42");  // docker gc finds it after a killed launcher
    EXPECT_EQ(sm::bundle_container_name("bb-1"), "bb-bb-1-bundle");
}

namespace {

/// Why a private dockerd cannot run here, or "".
std::string docker_missing() {
    for (const char* p : {"/usr/sbin/dockerd", "/usr/sbin/docker-proxy", "/usr/bin/containerd"})
        if (::access(p, X_OK) != 0) return std::string(p) + " is missing";
    if (::access(BOTTLE_BINARY_DIR "/tools/bottle-egress/bottle-egress-static", R_OK) != 0)
        return "bottle-egress-static is not built (BOTTLE_STATIC_EGRESS)";
    if (::geteuid() != 0) return "a private dockerd needs root";
    return "";
}

}  // namespace

// The whole flow with the docker sidecar: a private dockerd in a network and
// mount namespace of the test's own; the bundle container publishes the
// proxy on the alias; the agent's CONNECT to a denied host gets 403 from it;
// teardown removes the container.
TEST(SmolvmDockerBundle, EndToEndWithAPrivateDaemon) {
    if (auto why = smolvm_launch::missing(); !why.empty()) GTEST_SKIP() << "not runnable here: " << why;
    if (auto why = docker_missing(); !why.empty()) GTEST_SKIP() << "not runnable here: " << why;
    smolvm_launch l;
    const std::string t = l.root;
    l.env["DOCKER_HOST"] = "unix://" + t + "/docker.sock";
    l.env["BOTTLE_SMOLVM_BUNDLE"] = "docker";
    l.env["BOTTLE_EGRESS_STATIC"] = BOTTLE_BINARY_DIR "/tools/bottle-egress/bottle-egress-static";
    l.env["PATH"] = t + "/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    // The daemon's containers' cgroups under a parent of this run's own,
    // removed at the end (dockerd's default /docker stays behind, empty).
    const std::string cgroup_parent = "/bbsv-" + std::filesystem::path(t).filename().string();
    std::string script =
        "set -u; ip link set lo up; mount --make-rprivate /; "
        "dockerd --data-root " + t + "/dd --exec-root " + t + "/de --pidfile " + t + "/docker.pid -H unix://" + t +
        "/docker.sock --bip 10.213.0.1/24 --cgroup-parent " + cgroup_parent + " >" + t + "/dockerd.log 2>&1 </dev/null & d=$!; "
        "for i in $(seq 1 150); do docker version >/dev/null 2>&1 && break; sleep 0.2; done; "
        "docker version >/dev/null 2>&1 || { echo 'DOCKERD-DID-NOT-START'; tail -5 " + t + "/dockerd.log; kill $d; exit 77; }; "
        "\"$@\"; rc=$?; echo \"CONTAINERS:$(docker ps -aq | wc -l)\"; kill $d; wait $d; "
        "for cg in /sys/fs/cgroup/*" + cgroup_parent + "; do rmdir \"$cg\" 2>/dev/null; done; exit $rc";
    bottle::os::spawn_request r;
    r.argv = {"/usr/bin/unshare", "--net", "--mount", "--fork", "--", "/bin/bash", "-c", script, "sh",
              BOTTLE_BINARY_DIR "/tools/bottle-run/bottle-run"};
    r.argv.insert(r.argv.end(), l.args.begin(), l.args.end());
    for (const char* a : {"/usr/bin/bash", "-c",
                          "exec 3<>/dev/tcp/127.0.0.16/3128 && printf 'CONNECT denied.test:443 HTTP/1.1\\r\\nHost: denied.test:443\\r\\n\\r\\n' >&3 "
                          "&& head -c 12 <&3; echo; exit 5"})
        r.argv.emplace_back(a);
    r.env = l.env_list();
    r.timeout = std::chrono::seconds(120);
    auto out = bottle::os::spawn(r);
    ASSERT_TRUE(out) << out.error().message;
    std::cerr << "private dockerd run:\n" << out->out << out->err.substr(0, 4000) << '\n';
    if (out->exit_code == 77) GTEST_SKIP() << "a private dockerd did not start here: " << out->out;
    EXPECT_EQ(out->exit_code, 5) << out->out << out->err;
    EXPECT_NE(out->out.find("HTTP/1.1 403"), std::string::npos) << out->out << out->err;
    EXPECT_NE(out->out.find("CONTAINERS:0"), std::string::npos) << "the bundle container was not removed: " << out->out;
    EXPECT_TRUE(l.started()) << l.log();
    l.expect_clean();
}

TEST(SmolvmDockerBundle, NoDaemonMeansNoStart) {
    if (auto why = smolvm_launch::missing(); !why.empty()) GTEST_SKIP() << "not runnable here: " << why;
    if (::access(BOTTLE_BINARY_DIR "/tools/bottle-egress/bottle-egress-static", R_OK) != 0)
        GTEST_SKIP() << "not runnable here: bottle-egress-static is not built";
    smolvm_launch l;
    l.env["DOCKER_HOST"] = "unix://" + l.root + "/no-daemon.sock";
    l.env["BOTTLE_SMOLVM_BUNDLE"] = "docker";
    l.env["BOTTLE_EGRESS_STATIC"] = BOTTLE_BINARY_DIR "/tools/bottle-egress/bottle-egress-static";
    auto r = l.run({"/bin/true"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("smolmachines: bundle:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("no-daemon.sock"), std::string::npos) << "the error names the socket: " << r.err;
    EXPECT_TRUE(l.log().empty()) << "smolvm must not be asked to create anything: " << l.log();
    l.expect_clean();
}

TEST(SmolvmDockerBundle, UnknownBundleKindIsRefused) {
    if (auto why = smolvm_launch::missing(); !why.empty()) GTEST_SKIP() << "not runnable here: " << why;
    smolvm_launch l;
    l.env["BOTTLE_SMOLVM_BUNDLE"] = "podman";
    auto r = l.run({"/bin/true"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("BOTTLE_SMOLVM_BUNDLE=podman"), std::string::npos) << r.err;
    l.expect_clean();
}
