// The docker plan without a daemon: every Engine API body from a native plan.
#include "bottle-run/backends/docker/plan.hpp"

#include "bottle-run/backends/docker/engine.hpp"
#include "run_docker/docker_plan_fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

namespace {

using namespace bottle::run;
using namespace bottle::run::docker;
namespace json = boost::json;
using bottle::manifest::bottle_spec;
using namespace bottle::test_support::docker_plan;

bottle_spec with_routes() {
    bottle_spec b;
    b.name = "lab";
    b.egress = {{"api.example.com", {443}}, {"*.example.org", {}}};
    b.env = {{"LANG", "C.UTF-8"}, {"HTTPS_PROXY", "http://evil:1"}};
    b.resources.memory_mib = 1024;
    b.resources.pids = 256;
    b.resources.cpus = 2;
    b.mounts = {{"~/data", "/data", false}, {"/srv/cache", "/cache", true}};
    return b;
}

native::native_plan base_for(const bottle_spec& b, bool workspace = true) {
    native::launch_request r;
    r.argv = {"claude", "--yes"};
    r.bottle_id = "bb-0123456789ab";
    r.launcher_env = {{"TERM", "xterm"}, {"AWS_SECRET_ACCESS_KEY", "canary"}, {"DOCKER_HOST", "unix:///x"}};
    r.credential_env = {{"CLAUDE_CODE_OAUTH_TOKEN", "secret-token"}};
    if (workspace) {
        r.workspace = "/srv/app";
        r.workspace_uid = 1000;
        r.workspace_gid = 1000;
    }
    auto p = native::plan_for(b, r, root_host());
    EXPECT_TRUE(p) << p.error().message;
    return *p;
}

std::string str(const json::value& v) { return std::string(v.as_string()); }


TEST(DockerPlan, InternalNetworkWithoutHostAddressAndAnOutboundOne) {
    auto p = plan_for(with_routes(), base_for(with_routes()), request(), "/root");
    ASSERT_TRUE(p) << p.error().message;
    ASSERT_EQ(p->networks.size(), 2u);
    const auto& in = p->networks[0].create.as_object();
    EXPECT_EQ(p->networks[0].name, "bb-bb-0123456789ab-int");
    EXPECT_TRUE(in.at("Internal").as_bool());
    EXPECT_EQ(in.at("Options").at("com.docker.network.bridge.inhibit_ipv4"), "true");
    EXPECT_EQ(in.at("Labels").at(label_id), "bb-0123456789ab");
    EXPECT_EQ(in.at("Labels").at(label_launcher), "boot-1/4242");
    const auto& out = p->networks[1].create.as_object();
    EXPECT_FALSE(out.at("Internal").as_bool());
    EXPECT_EQ(p->sidecar_out_network, p->networks[1].name);
    // The subnet comes from subnet_hash over 172.30.0.0/16; .2 the sidecar, .3 the agent.
    EXPECT_EQ(p->subnet.rfind("172.30.", 0), 0u);
    EXPECT_EQ(p->sidecar_ip.substr(p->sidecar_ip.rfind('.')), ".2");
    EXPECT_EQ(p->agent_ip.substr(p->agent_ip.rfind('.')), ".3");
}

TEST(DockerPlan, SubnetSkipsWhatTheDaemonAlreadyHas) {
    auto first = plan_for(with_routes(), base_for(with_routes()), request(), "/root");
    ASSERT_TRUE(first);
    auto r = request();
    r.existing_subnets = {first->subnet, "10.0.0.0/8"};
    auto second = plan_for(with_routes(), base_for(with_routes()), r, "/root");
    ASSERT_TRUE(second);
    EXPECT_NE(second->subnet, first->subnet);
    r.existing_subnets = {"172.30.0.0/16"};
    auto none = plan_for(with_routes(), base_for(with_routes()), r, "/root");
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, bottle::errc::exhausted);
}

TEST(DockerPlan, AFixedSubnetIsUsedAsGivenAndChecked) {
    auto r = request();
    r.fixed_subnet = "10.200.1.0/24";
    auto p = plan_for(with_routes(), base_for(with_routes()), r, "/root");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->subnet, "10.200.1.0/24");
    EXPECT_EQ(p->sidecar_ip, "10.200.1.2");
    EXPECT_EQ(p->agent_ip, "10.200.1.3");
    for (const char* bad : {"10.200.0.0/16", "10.200.1.1/24", "fd00::/64", "nonsense"}) {
        r.fixed_subnet = bad;
        EXPECT_FALSE(plan_for(with_routes(), base_for(with_routes()), r, "/root")) << bad;
    }
}

TEST(DockerPlan, SidecarRunsTheRoutesConfinedOnTheInternalNetwork) {
    auto p = plan_for(with_routes(), base_for(with_routes()), request(), "/root");
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->sidecar);
    const auto& c = p->sidecar->create.as_object();
    EXPECT_EQ(c.at("Image"), "bot-bottle/egress:0123456789abcdef");
    const auto cmd = strings(c.at("Cmd"));
    EXPECT_EQ(cmd.front(), "/bottle-egress");
    EXPECT_TRUE(has(cmd, "api.example.com:443"));
    EXPECT_TRUE(has(cmd, "*.example.org"));
    EXPECT_EQ(c.at("User"), "65534:65534");
    const auto& h = c.at("HostConfig").as_object();
    EXPECT_TRUE(h.at("ReadonlyRootfs").as_bool());
    EXPECT_EQ(strings(h.at("CapDrop")), std::vector<std::string>{"ALL"});
    EXPECT_TRUE(has(strings(h.at("SecurityOpt")), "no-new-privileges:true"));
    EXPECT_EQ(str(h.at("NetworkMode")), p->networks[0].name);
    EXPECT_EQ(c.at("NetworkingConfig").at("EndpointsConfig").at(p->networks[0].name).at("IPAMConfig").at("IPv4Address").as_string(), p->sidecar_ip.c_str());
}

TEST(DockerPlan, AgentIsConfinedAndLimited) {
    auto p = plan_for(with_routes(), base_for(with_routes()), request(), "/root");
    ASSERT_TRUE(p);
    const auto& a = p->agent.create.as_object();
    EXPECT_EQ(a.at("Image"), "agent:dev");
    EXPECT_EQ(strings(a.at("Cmd")), (std::vector<std::string>{"claude", "--yes"}));
    EXPECT_EQ(a.at("User"), "1000:1000");  // the workspace's owner, never root
    EXPECT_EQ(a.at("WorkingDir"), "/workspace");
    const auto& h = a.at("HostConfig").as_object();
    EXPECT_TRUE(h.at("ReadonlyRootfs").as_bool());
    EXPECT_TRUE(h.at("Init").as_bool());
    EXPECT_FALSE(h.at("Privileged").as_bool());
    EXPECT_EQ(strings(h.at("CapDrop")), std::vector<std::string>{"ALL"});
    EXPECT_TRUE(has(strings(h.at("SecurityOpt")), "no-new-privileges:true"));
    for (const auto& s : strings(h.at("SecurityOpt"))) EXPECT_EQ(s.find("unconfined"), std::string::npos) << s;
    EXPECT_EQ(h.at("PidsLimit").to_number<long long>(), 256);
    EXPECT_EQ(h.at("Memory").to_number<long long>(), 1024ll << 20);
    EXPECT_EQ(h.at("MemorySwap").to_number<long long>(), 1024ll << 20);
    EXPECT_EQ(h.at("NanoCpus").to_number<long long>(), 2'000'000'000);
    EXPECT_TRUE(h.at("Tmpfs").as_object().contains("/tmp"));
    EXPECT_NE(std::string(h.at("Tmpfs").at("/home/agent").as_string()).find("uid=1000"), std::string::npos);
    EXPECT_EQ(str(h.at("NetworkMode")), p->networks[0].name);
    EXPECT_FALSE(h.contains("Binds"));  // only the typed Mounts below; never the engine socket
}

TEST(DockerPlan, MountsAreTheWorkspaceAndTheManifestsAndNothingElse) {
    auto p = plan_for(with_routes(), base_for(with_routes()), request(), "/root");
    ASSERT_TRUE(p);
    std::vector<std::string> seen;
    for (const auto& m : p->agent.create.at("HostConfig").at("Mounts").as_array()) {
        const std::string src(m.at("Source").as_string()), dst(m.at("Target").as_string());
        seen.push_back(src + "->" + dst + (m.at("ReadOnly").as_bool() ? ":ro" : ":rw"));
        EXPECT_EQ(src.find("docker.sock"), std::string::npos);
    }
    EXPECT_TRUE(has(seen, "/srv/app->/workspace:rw"));
    EXPECT_TRUE(has(seen, "/root/data->/data:ro"));
    EXPECT_TRUE(has(seen, "/srv/cache->/cache:rw"));
}

TEST(DockerPlan, SystemGuestPathsAreRefused) {
    auto b = with_routes();
    b.mounts = {{"/srv/x", "/proc/x", false}};
    auto base = base_for(with_routes());
    auto p = plan_for(b, base, request(), "/root");
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, bottle::errc::invalid_argument);
}

TEST(DockerPlan, EnvironmentIsTheAllowlistWithProxyAtTheSidecar) {
    auto p = plan_for(with_routes(), base_for(with_routes()), request(), "/root");
    ASSERT_TRUE(p);
    const auto env = strings(p->agent.create.at("Env"));
    const std::string url = "http://" + p->sidecar_ip + ":3128";
    EXPECT_TRUE(has(env, "HTTPS_PROXY=" + url));
    EXPECT_TRUE(has(env, "http_proxy=" + url));
    EXPECT_TRUE(has(env, "NO_PROXY="));
    EXPECT_TRUE(has(env, "LANG=C.UTF-8"));
    EXPECT_TRUE(has(env, "TERM=xterm"));
    EXPECT_FALSE(has(env, "HTTPS_PROXY=http://evil:1"));  // the manifest never sets the proxy
    for (const auto& e : env) {
        EXPECT_EQ(e.find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
        EXPECT_EQ(e.find("DOCKER_HOST"), std::string::npos);
        EXPECT_EQ(e.find("secret-token"), std::string::npos);  // credentials only at create
    }
    const auto with = strings(with_credentials(*p).at("Env"));
    EXPECT_TRUE(has(with, "CLAUDE_CODE_OAUTH_TOKEN=secret-token"));
}

TEST(DockerPlan, DryRunNamesCredentialsButNeverTheirValues) {
    auto p = plan_for(with_routes(), base_for(with_routes()), request(), "/root");
    ASSERT_TRUE(p);
    const auto text = json::serialize(to_json(*p));
    EXPECT_EQ(text.find("secret-token"), std::string::npos);
    EXPECT_NE(text.find("CLAUDE_CODE_OAUTH_TOKEN"), std::string::npos);
    EXPECT_NE(text.find("DELETE /networks/bb-bb-0123456789ab-int"), std::string::npos);
}

TEST(DockerPlan, NoRoutesMeansNoNetworkAtAllAndNoSidecar) {
    bottle_spec b;
    b.name = "offline";
    auto p = plan_for(b, base_for(b, false), request(), "/root");
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->networks.empty());
    EXPECT_FALSE(p->sidecar);
    EXPECT_EQ(p->agent.create.at("HostConfig").at("NetworkMode"), "none");
    for (const auto& e : strings(p->agent.create.at("Env"))) EXPECT_EQ(e.find("PROXY="), std::string::npos) << e;
    EXPECT_EQ(p->agent.create.at("User"), "65534:65534");  // root launch, no workspace owner: nobody
}

TEST(DockerPlan, ImageIsRequired) {
    auto r = request();
    r.image.clear();
    auto p = plan_for(with_routes(), base_for(with_routes()), r, "/root");
    ASSERT_FALSE(p);
    EXPECT_NE(p.error().message.find("--image"), std::string::npos);
}

TEST(DockerPlan, GvisorIsUsedWhenRegisteredAndCanBeRequired) {
    const auto with = json::parse(R"({"Runtimes":{"runc":{"path":"runc"},"runsc":{"path":"/usr/bin/runsc"}}})");
    const auto without = json::parse(R"({"Runtimes":{"runc":{"path":"runc"}}})");
    auto a = choose_runtime(with, false);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->name, "runsc");
    auto b = choose_runtime(without, false);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->name, "");
    auto c = choose_runtime(without, true);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, bottle::errc::unsupported);
    auto r = request();
    r.runtime = *a;
    auto p = plan_for(with_routes(), base_for(with_routes()), r, "/root");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->agent.create.at("HostConfig").at("Runtime"), "runsc");
    EXPECT_EQ(p->sidecar->create.at("HostConfig").at("Runtime"), "runsc");
    // Under gVisor the process limit is gVisor's RLIMIT_NPROC, not the cgroup's pids.max.
    const auto& h = p->agent.create.at("HostConfig").as_object();
    EXPECT_FALSE(h.contains("PidsLimit"));
    ASSERT_TRUE(h.contains("Ulimits"));
    EXPECT_EQ(str(h.at("Ulimits").at(0).at("Name")), "nproc");
    EXPECT_EQ(h.at("Ulimits").at(0).at("Hard").to_number<long long>(), 256);
    // runsc answers clone3's ENOSYS rule with EPERM, which stops glibc's
    // threads: under gVisor the profile leaves clone3 out and keeps clone's rule.
    std::string profile;
    for (const auto& o : strings(h.at("SecurityOpt")))
        if (o.rfind("seccomp=", 0) == 0) profile = o.substr(8);
    ASSERT_FALSE(profile.empty());
    const auto parsed = json::parse(profile);
    std::set<std::string> names;
    for (const auto& rule : parsed.at("syscalls").as_array())
        for (const auto& n : strings(rule.at("names"))) names.insert(n);
    EXPECT_EQ(names.count("clone3"), 0u);
    EXPECT_EQ(names.count("clone"), 1u);
    EXPECT_EQ(names.count("unshare"), 1u);
}

TEST(DockerPlan, AgentSeccompIsOursSidecarKeepsTheDaemonsDefault) {
    auto p = plan_for(with_routes(), base_for(with_routes()), request(), "/root");
    ASSERT_TRUE(p);
    std::string agent_profile;
    for (const auto& o : strings(p->agent.create.at("HostConfig").at("SecurityOpt")))
        if (o.rfind("seccomp=", 0) == 0) agent_profile = o.substr(8);
    ASSERT_FALSE(agent_profile.empty());
    const auto prof = json::parse(agent_profile);
    EXPECT_EQ(strings(prof.at("architectures")), std::vector<std::string>{"SCMP_ARCH_X86_64"});  // no int 0x80, no x32
    std::map<std::string, int> refused;
    for (const auto& r : prof.at("syscalls").as_array())
        for (const auto& n : strings(r.at("names"))) refused[n] = static_cast<int>(r.at("errnoRet").to_number<long long>());
    for (const char* n : {"io_uring_setup", "ptrace", "bpf", "mount", "unshare", "keyctl", "kcmp", "open_by_handle_at"})
        EXPECT_EQ(refused.count(n), 1u) << n;
    EXPECT_EQ(refused["clone3"], ENOSYS);
    for (const auto& o : strings(p->sidecar->create.at("HostConfig").at("SecurityOpt"))) EXPECT_EQ(o.rfind("seccomp=", 0), std::string::npos) << o;
}

TEST(DockerPlan, ProtectedWorkspacePathsAreReadOnlyAndCreatedWhenAbsent) {
    auto p = plan_for(with_routes(), base_for(with_routes()), request(), "/root");
    ASSERT_TRUE(p);
    std::map<std::string, bool> ro;
    for (const auto& m : p->agent.create.at("HostConfig").at("Mounts").as_array()) ro[str(m.at("Target"))] = m.at("ReadOnly").as_bool();
    for (const char* d : {"/workspace/.git", "/workspace/.vscode", "/workspace/.claude", "/workspace/.github/workflows"}) {
        ASSERT_EQ(ro.count(d), 1u) << d;
        EXPECT_TRUE(ro[d]) << d;
    }
    EXPECT_FALSE(ro["/workspace/.github"]);  // pinned: a mount point cannot be moved aside
    EXPECT_FALSE(ro["/workspace"]);
    EXPECT_TRUE(has(p->create_dirs, "/srv/app/.git"));
    EXPECT_TRUE(has(p->create_dirs, "/srv/app/.github/workflows"));
}

TEST(DockerPlan, DiskBudgetIsSplitBetweenTmpAndHome) {
    auto b = with_routes();
    b.resources.disk_mib = 128;
    auto p = plan_for(b, base_for(b), request(), "/root");
    ASSERT_TRUE(p);
    const auto& t = p->agent.create.at("HostConfig").at("Tmpfs");
    EXPECT_NE(str(t.at("/tmp")).find("size=64m"), std::string::npos) << str(t.at("/tmp"));
    EXPECT_NE(str(t.at("/home/agent")).find("size=64m"), std::string::npos);
}

TEST(DockerEndpoint, DockerHostIsHonouredAndOnlyUnixSockets) {
    auto d = endpoint_from(std::nullopt);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->socket_path, "/var/run/docker.sock");
    auto u = endpoint_from(std::string("unix:///run/user/1000/docker.sock"));
    ASSERT_TRUE(u);
    EXPECT_EQ(u->socket_path, "/run/user/1000/docker.sock");
    auto t = endpoint_from(std::string("tcp://10.0.0.1:2375"));
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, bottle::errc::unsupported);
    EXPECT_FALSE(endpoint_from(std::string("unix://relative.sock")));
}

}  // namespace

namespace {

TEST(DockerPlan, TheSidecarsDecisionLogIsAHostFileItAppendsTo) {
    auto r = request();
    r.egress_log = "/run/user/0/bot-bottle/bb-0123456789ab.egress.log";
    auto p = plan_for(with_routes(), base_for(with_routes()), r, "/root");
    ASSERT_TRUE(p) << p.error().message;
    const auto cmd = strings(p->sidecar->create.at("Cmd"));
    const auto at = std::find(cmd.begin(), cmd.end(), "--log");
    ASSERT_NE(at, cmd.end());
    EXPECT_EQ(*(at + 1), sidecar_log_path);
    const auto& mounts = p->sidecar->create.at("HostConfig").at("Mounts").as_array();
    ASSERT_EQ(mounts.size(), 1u);
    EXPECT_EQ(str(mounts[0].at("Source")), r.egress_log);
    EXPECT_EQ(str(mounts[0].at("Target")), sidecar_log_path);
    EXPECT_FALSE(mounts[0].at("ReadOnly").as_bool());
    // The agent never sees it.
    for (const auto& m : p->agent.create.at("HostConfig").at("Mounts").as_array()) EXPECT_NE(str(m.at("Source")), r.egress_log);
    // Without one the sidecar logs to its stderr and mounts nothing.
    auto plain = plan_for(with_routes(), base_for(with_routes()), request(), "/root");
    ASSERT_TRUE(plain);
    EXPECT_FALSE(has(strings(plain->sidecar->create.at("Cmd")), "--log"));
    EXPECT_FALSE(plain->sidecar->create.at("HostConfig").as_object().contains("Mounts"));
}

TEST(DockerPlan, TheAgentStartsThroughAgentStartWhenItHasSomethingToWaitFor) {
    auto base = base_for(with_routes());
    auto r = request();
    r.agent_start = "/usr/bin/bottle-agent-start";
    auto bound = [&](const docker_plan& p) {
        for (const auto& m : p.agent.create.at("HostConfig").at("Mounts").as_array())
            if (str(m.at("Target")) == agent_start_path) return str(m.at("Source")) == r.agent_start && m.at("ReadOnly").as_bool();
        return false;
    };
    // Routes, no terminal: it waits for the launcher's go (the sidecar ready).
    auto routed = plan_for(with_routes(), base, r, "/root");
    ASSERT_TRUE(routed) << routed.error().message;
    EXPECT_EQ(strings(routed->agent.create.at("Entrypoint")), (std::vector<std::string>{agent_start_path, "--go", "--"}));
    EXPECT_EQ(strings(routed->agent.create.at("Cmd")), base.argv);
    EXPECT_TRUE(routed->agent_waits_for_go);
    EXPECT_TRUE(bound(*routed));
    // A terminal: it waits for the terminal's size, which is the go.
    base.interactive = true;
    auto tty = plan_for(with_routes(), base, r, "/root");
    ASSERT_TRUE(tty);
    EXPECT_EQ(strings(tty->agent.create.at("Entrypoint")), (std::vector<std::string>{agent_start_path, "--tty", "--"}));
    EXPECT_FALSE(tty->agent_waits_for_go);
    EXPECT_TRUE(tty->agent.create.at("Tty").as_bool());
    EXPECT_TRUE(bound(*tty));
    // Neither: the agent's command is the entrypoint as before.
    bottle_spec plain;
    plain.name = "plain";
    auto none = plan_for(plain, base_for(plain), r, "/root");
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->agent.create.at("Entrypoint").as_array().empty());
    EXPECT_FALSE(none->agent_waits_for_go);
    EXPECT_FALSE(bound(*none));
    // Not found on the host: the same, and the spine starts the agent after the sidecar.
    auto missing = plan_for(with_routes(), base_for(with_routes()), request(), "/root");
    ASSERT_TRUE(missing);
    EXPECT_TRUE(missing->agent.create.at("Entrypoint").as_array().empty());
    EXPECT_FALSE(missing->agent_waits_for_go);
}

}  // namespace
