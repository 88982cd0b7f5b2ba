// The socket topology's plan and the pool's files, without a daemon.
#include "bottle-run/backends/docker/plan.hpp"
#include "bottle-run/backends/docker/pool.hpp"
#include "run_docker/docker_plan_fixture.hpp"

#include "bottle/os/file.hpp"
#include "bottle/os/spawn.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace {

using namespace bottle::run;
using namespace bottle::run::docker;
namespace json = boost::json;
namespace fs = std::filesystem;
using bottle::manifest::bottle_spec;
using namespace bottle::test_support::docker_plan;

bottle_spec routed() {
    bottle_spec b;
    b.name = "lab";
    b.egress = {{"api.example.com", {443}}};
    return b;
}

native::native_plan socket_base(bool interactive = false) {
    native::launch_request r;
    r.argv = {"claude"};
    r.bottle_id = "bb-00000000beef";
    r.interactive = interactive;
    auto p = native::plan_for(routed(), r, root_host());
    EXPECT_TRUE(p) << p.error().message;
    return *p;
}

docker_request socket_request() {
    docker_request r = request();
    r.agent_start = "/usr/lib/bot-bottle/bottle-agent-start";
    r.egress_log = "/state/bb-00000000beef.egress.log";
    r.socket_dir = "/state/bb-00000000beef.egress.d";
    return r;
}

std::vector<std::string> mount_texts(const json::value& host_config) {
    std::vector<std::string> out;
    if (const auto* m = host_config.as_object().if_contains("Mounts"))
        for (const auto& x : m->as_array())
            out.push_back(std::string(x.at("Source").as_string()) + "->" + std::string(x.at("Target").as_string()) +
                          (x.at("ReadOnly").as_bool() ? ":ro" : ":rw"));
    return out;
}

TEST(DockerSocketPlan, TheAgentHasNoNetworkAndForwardsToTheSidecarsSocket) {
    auto p = plan_for(routed(), socket_base(), socket_request(), "/root");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_TRUE(p->socket_topology);
    const auto& a = p->agent.create.as_object();
    EXPECT_TRUE(a.at("NetworkDisabled").as_bool());
    EXPECT_EQ(a.at("HostConfig").at("NetworkMode"), "none");
    EXPECT_FALSE(a.contains("NetworkingConfig"));
    EXPECT_TRUE(has(mount_texts(a.at("HostConfig")), "/state/bb-00000000beef.egress.d->/run/bottle-egress:ro"));
    EXPECT_EQ(strings(a.at("Entrypoint")), (std::vector<std::string>{"/.bottle-agent-start", "--forward",
                                                                  "127.0.0.1:3128=/run/bottle-egress/egress.sock", "--go", "--"}));
    EXPECT_TRUE(p->agent_waits_for_go);
    const auto env = strings(a.at("Env"));
    EXPECT_TRUE(has(env, "HTTPS_PROXY=http://127.0.0.1:3128"));
    EXPECT_TRUE(has(env, "http_proxy=http://127.0.0.1:3128"));
}

TEST(DockerSocketPlan, AnInteractiveAgentForwardsTooAndWaitsForItsTerminal) {
    auto p = plan_for(routed(), socket_base(true), socket_request(), "/root");
    ASSERT_TRUE(p) << p.error().message;
    const auto ep = strings(p->agent.create.at("Entrypoint"));
    EXPECT_TRUE(has(ep, "--forward"));
    EXPECT_TRUE(has(ep, "--tty"));
    EXPECT_FALSE(p->agent_waits_for_go);
}

TEST(DockerSocketPlan, TheSidecarIsOnItsOutboundNetworkAloneListeningOnTheSocket) {
    auto p = plan_for(routed(), socket_base(), socket_request(), "/root");
    ASSERT_TRUE(p);
    ASSERT_EQ(p->networks.size(), 1u);  // no internal network
    EXPECT_EQ(p->networks[0].name, "bb-bb-00000000beef-out");
    EXPECT_FALSE(p->networks[0].create.at("Internal").as_bool());
    EXPECT_TRUE(p->sidecar_out_network.empty());  // nothing to connect: created on it
    ASSERT_TRUE(p->sidecar);
    const auto& c = p->sidecar->create.as_object();
    EXPECT_EQ(c.at("HostConfig").at("NetworkMode"), "bb-bb-00000000beef-out");
    EXPECT_FALSE(c.contains("NetworkingConfig"));
    const auto cmd = strings(c.at("Cmd"));
    EXPECT_EQ(cmd, (std::vector<std::string>{"/bottle-egress", "--listen-unix", "/run/bottle-egress/egress.sock", "--bottle-id", "bb-00000000beef",
                                             "--allow", "api.example.com:443", "--log", "/egress.log"}));
    EXPECT_EQ(std::vector<std::string>(cmd.begin() + 1, cmd.end()), p->sidecar_args);
    const auto mounts = mount_texts(c.at("HostConfig"));
    EXPECT_TRUE(has(mounts, "/state/bb-00000000beef.egress.d->/run/bottle-egress:rw"));
    EXPECT_TRUE(has(mounts, "/state/bb-00000000beef.egress.log->/egress.log:rw"));
    EXPECT_TRUE(c.at("HostConfig").at("ReadonlyRootfs").as_bool());
    EXPECT_EQ(strings(c.at("HostConfig").at("CapDrop")), std::vector<std::string>{"ALL"});
}

TEST(DockerSocketPlan, APooledSidecarIsNotCreatedAndGetsItsArgumentsOnStdin) {
    auto r = socket_request();
    r.pooled = pooled_sidecar{"bp-0a0b0c0d0e0f-egress", "bp-0a0b0c0d0e0f-out"};
    r.socket_dir = "/state/docker-pool/bp-0a0b0c0d0e0f.sock";
    auto p = plan_for(routed(), socket_base(), r, "/root");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_TRUE(p->networks.empty());
    ASSERT_TRUE(p->sidecar);
    EXPECT_TRUE(p->sidecar_pooled);
    EXPECT_EQ(p->sidecar->name, "bp-0a0b0c0d0e0f-egress");
    EXPECT_TRUE(p->sidecar->create.is_null());
    EXPECT_TRUE(has(p->sidecar_args, "api.example.com:443"));
    EXPECT_TRUE(has(mount_texts(p->agent.create.at("HostConfig")), "/state/docker-pool/bp-0a0b0c0d0e0f.sock->/run/bottle-egress:ro"));
    const auto dry = json::serialize(to_json(*p));
    EXPECT_NE(dry.find("a pooled sidecar"), std::string::npos) << dry;
    EXPECT_EQ(dry.find("/networks/create"), std::string::npos) << dry;
}

TEST(DockerSocketPlan, NeedsTheForwarder) {
    auto r = socket_request();
    r.agent_start.clear();
    auto p = plan_for(routed(), socket_base(), r, "/root");
    ASSERT_FALSE(p);
    EXPECT_NE(p.error().message.find("bottle-agent-start"), std::string::npos);
}

TEST(DockerSocketPlan, APoolSidecarWaitsForItsArgumentsOnStdin) {
    const auto body = sidecar_create_body(sidecar_spec{"bot-bottle/egress:1", "bp-1-out", "/p/bp-1.log", "/p/bp-1.sock", {"--allow", "x"}, true, {}, {}});
    const auto& c = body.as_object();
    EXPECT_EQ(strings(c.at("Cmd")), (std::vector<std::string>{"/bottle-egress", "--args-stdin"}));  // nothing else: no route, no listener
    EXPECT_TRUE(c.at("OpenStdin").as_bool());
    EXPECT_TRUE(c.at("StdinOnce").as_bool());
    EXPECT_EQ(c.at("HostConfig").at("NetworkMode"), "bp-1-out");
    EXPECT_EQ(c.at("User"), "65534:65534");
}

TEST(DockerSocketPlan, NoRoutesMeansNoNetworkAtAll) {
    bottle_spec b;
    native::launch_request lr;
    lr.argv = {"true"};
    lr.bottle_id = "bb-00000000cafe";
    auto base = native::plan_for(b, lr, root_host());
    ASSERT_TRUE(base);
    auto p = plan_for(b, *base, socket_request(), "/root");
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->socket_topology);
    EXPECT_TRUE(p->agent.create.at("NetworkDisabled").as_bool());
    EXPECT_FALSE(p->sidecar);
}

// ---- the pool's files ----

class DockerPool : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/bb-pool-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        state_ = tmpl;
        ASSERT_EQ(::mkdir(pool_dir(state_).c_str(), 0700), 0);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(state_, ec);
    }
    void waiting(const std::string& id, const std::string& endpoint, const std::string& spec, long long created) {
        const json::object rec{{"endpoint", endpoint}, {"spec", spec}, {"container", id + "-egress"}, {"network", id + "-out"}, {"created", created}};
        ASSERT_TRUE(bottle::os::write_file(pool_dir(state_) + "/" + id + ".json", json::serialize(rec)));
    }
    std::string state_;
};

TEST(DockerPooledNetworkPlan, TheAgentJoinsThePooledSidecarsInternalNetwork) {
    auto r = request();
    r.runtime = runtime_choice{"runsc", ""};
    r.pooled = pooled_sidecar{"bp-0a0b0c0d0e0f-egress", "bp-0a0b0c0d0e0f-out", "bp-0a0b0c0d0e0f-int", "172.30.7.0/24"};
    auto p = plan_for(routed(), socket_base(), r, "/root");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_FALSE(p->socket_topology);
    EXPECT_TRUE(p->networks.empty());
    EXPECT_TRUE(p->sidecar_pooled);
    EXPECT_EQ(p->sidecar->name, "bp-0a0b0c0d0e0f-egress");
    EXPECT_EQ(p->sidecar_ip, "172.30.7.2");
    EXPECT_EQ(p->agent_ip, "172.30.7.3");
    const auto& a = p->agent.create.as_object();
    EXPECT_EQ(a.at("HostConfig").at("NetworkMode"), "bp-0a0b0c0d0e0f-int");
    EXPECT_EQ(a.at("NetworkingConfig").at("EndpointsConfig").at("bp-0a0b0c0d0e0f-int").at("IPAMConfig").at("IPv4Address"), "172.30.7.3");
    EXPECT_FALSE(a.contains("NetworkDisabled"));
    EXPECT_TRUE(has(strings(a.at("Env")), "HTTPS_PROXY=http://172.30.7.2:3128"));
    EXPECT_TRUE(has(p->sidecar_args, "0.0.0.0:3128"));
}

TEST_F(DockerPool, SizeComesFromTheEnvironmentAndIsChecked) {
    EXPECT_EQ(*pool_size({}), 1u);
    EXPECT_EQ(*pool_size({{"BOT_BOTTLE_DOCKER_POOL", "0"}}), 0u);
    EXPECT_EQ(*pool_size({{"BOT_BOTTLE_DOCKER_POOL", "8"}}), 8u);
    for (const char* bad : {"9", "-1", "01", "one", " 1"}) {
        auto s = pool_size({{"BOT_BOTTLE_DOCKER_POOL", bad}});
        ASSERT_FALSE(s) << bad;
        EXPECT_NE(s.error().message.find("BOT_BOTTLE_DOCKER_POOL"), std::string::npos);
    }
}

TEST_F(DockerPool, AClaimTakesTheOldestMatchingEntryOnce) {
    waiting("bp-000000000002", "unix:///d.sock", "img:1", 2000);
    waiting("bp-000000000001", "unix:///d.sock", "img:1", 1000);
    waiting("bp-000000000000", "unix:///other.sock", "img:1", 10);  // another daemon's
    waiting("bp-00000000000f", "unix:///d.sock", "img:0", 5);       // another spec's (an older proxy or bottle-run)
    auto first = claim_pooled(state_, "unix:///d.sock", "img:1", "boot-1/4242");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->prefix, pool_dir(state_) + "/bp-000000000001");
    EXPECT_EQ(first->container, "bp-000000000001-egress");
    EXPECT_EQ(first->network, "bp-000000000001-out");
    EXPECT_FALSE(fs::exists(first->prefix + ".json"));
    EXPECT_TRUE(fs::exists(first->prefix + ".claimed.boot-1.4242"));
    auto second = claim_pooled(state_, "unix:///d.sock", "img:1", "boot-1/4243");
    ASSERT_TRUE(second);
    EXPECT_EQ(second->container, "bp-000000000002-egress");
    EXPECT_FALSE(claim_pooled(state_, "unix:///d.sock", "img:1", "boot-1/4244"));  // nothing left for this daemon and spec
    EXPECT_TRUE(fs::exists(pool_dir(state_) + "/bp-000000000000.json"));
    EXPECT_TRUE(fs::exists(pool_dir(state_) + "/bp-00000000000f.json"));
}

TEST_F(DockerPool, ABrokenRecordIsNeverClaimed) {
    ASSERT_TRUE(bottle::os::write_file(pool_dir(state_) + "/bp-0000000000aa.json", "{\"endpoint\": \"unix:///d.sock\""));
    ASSERT_TRUE(bottle::os::write_file(pool_dir(state_) + "/bp-0000000000ab.json", "{\"endpoint\":\"unix:///d.sock\",\"spec\":\"img:1\"}"));
    EXPECT_FALSE(claim_pooled(state_, "unix:///d.sock", "img:1", "boot-1/1"));
}

bool alive_4242(int pid) { return pid == 4242; }

TEST_F(DockerPool, GcKeepsWaitingAndLiveClaimsAndCollectsTheRest) {
    const std::string dir = pool_dir(state_);
    waiting("bp-000000000001", "unix:///d.sock", "img:1", 1);
    EXPECT_EQ(pooled_state(dir + "/bp-000000000001", "boot-1", alive_4242), pool_verdict::waiting);
    ASSERT_TRUE(claim_pooled(state_, "unix:///d.sock", "img:1", "boot-1/4242"));
    EXPECT_EQ(pooled_state(dir + "/bp-000000000001", "boot-1", alive_4242), pool_verdict::claimed_live);
    EXPECT_EQ(pooled_state(dir + "/bp-000000000001", "boot-2", alive_4242), pool_verdict::stale);  // claimed in another boot
    waiting("bp-000000000002", "unix:///d.sock", "img:1", 2);
    ASSERT_TRUE(claim_pooled(state_, "unix:///d.sock", "img:1", "boot-1/4243"));
    EXPECT_EQ(pooled_state(dir + "/bp-000000000002", "boot-1", alive_4242), pool_verdict::stale);  // its claimer is gone
    EXPECT_EQ(pooled_state(dir + "/bp-000000000003", "boot-1", alive_4242), pool_verdict::stale);  // no files at all
    EXPECT_EQ(pooled_state(state_ + "/gone/docker-pool/bp-1", "boot-1", alive_4242), pool_verdict::stale);
}

TEST_F(DockerPool, GcJudgesOnlyEntriesOfItsOwnPool) {
    const std::string dir = pool_dir(state_);
    EXPECT_EQ(own_pool_prefix(state_, dir + "/bp-0123456789ab"), dir + "/bp-0123456789ab");
    for (const std::string& forged : std::vector<std::string>{"/home/u/x", dir + "/../x", dir + "/bp-0123", dir + "/bp-0123456789AB", dir + "/bp-0123456789ab/x",
                                     "/other/state/docker-pool/bp-0123456789ab", ""})
        EXPECT_FALSE(own_pool_prefix(state_, forged)) << forged;
}

TEST_F(DockerPool, TheSpecNamesTheSidecarAPoolEntryRuns) {
    const pool_kind socket{"bot-bottle/egress:1", {}, false, std::nullopt};
    EXPECT_EQ(pool_sidecar_spec(socket), pool_sidecar_spec(socket));
    auto other = socket;
    other.image = "bot-bottle/egress:2";
    EXPECT_NE(pool_sidecar_spec(other), pool_sidecar_spec(socket));
    other = socket;
    other.runtime = runtime_choice{"runsc", ""};
    EXPECT_NE(pool_sidecar_spec(other), pool_sidecar_spec(socket));
    other = socket;
    other.network_topology = true;
    EXPECT_NE(pool_sidecar_spec(other), pool_sidecar_spec(socket));
    auto pinned = other;
    pinned.fixed_subnet = "10.200.1.0/24";
    EXPECT_NE(pool_sidecar_spec(pinned), pool_sidecar_spec(other));
}

TEST_F(DockerPool, GcRemovesFilesNoResourceExplains) {
    const std::string dir = pool_dir(state_);
    waiting("bp-000000000001", "unix:///d.sock", "s", 1);  // its container is gone
    waiting("bp-000000000002", "unix:///d.sock", "s", 2);  // still on the daemon
    waiting("bp-000000000003", "unix:///e.sock", "s", 3);  // another daemon's
    ASSERT_TRUE(make_socket_dir(dir + "/bp-000000000001.sock"));
    ASSERT_TRUE(bottle::os::write_file(dir + "/bp-000000000004.claimed.boot-1.4243", ""));  // its claimer is gone
    ASSERT_TRUE(bottle::os::write_file(dir + "/bp-000000000005.claimed.boot-1.4242", ""));  // its claimer runs
    collect_pool_files(state_, "unix:///d.sock", {"bp-000000000002"}, "boot-1", alive_4242);
    EXPECT_FALSE(fs::exists(dir + "/bp-000000000001.json"));
    EXPECT_FALSE(fs::exists(dir + "/bp-000000000001.sock"));
    EXPECT_TRUE(fs::exists(dir + "/bp-000000000002.json"));
    EXPECT_TRUE(fs::exists(dir + "/bp-000000000003.json"));
    EXPECT_FALSE(fs::exists(dir + "/bp-000000000004.claimed.boot-1.4243"));
    EXPECT_TRUE(fs::exists(dir + "/bp-000000000005.claimed.boot-1.4242"));
}

TEST_F(DockerPool, AnEntrysFilesAreAllFound) {
    const std::string prefix = pool_dir(state_) + "/bp-000000000001";
    ASSERT_TRUE(make_socket_dir(prefix + ".sock"));
    ASSERT_TRUE(make_egress_log(prefix + ".log"));
    EXPECT_FALSE(make_egress_log(prefix + ".log"));  // never an existing file
    EXPECT_FALSE(make_socket_dir(prefix + ".sock"));
    waiting("bp-000000000001", "unix:///d.sock", "img:1", 1);
    ASSERT_TRUE(claim_pooled(state_, "unix:///d.sock", "img:1", "boot-1/7"));
    auto files = pool_entry_files(pool_entry{prefix, {}, {}});
    EXPECT_TRUE(has(files, prefix + ".sock"));
    EXPECT_TRUE(has(files, prefix + ".log"));
    EXPECT_TRUE(has(files, prefix + ".claimed.boot-1.7"));
    struct stat st {};
    ASSERT_EQ(::stat((prefix + ".sock").c_str(), &st), 0);
    if (::geteuid() == 0) {
        EXPECT_EQ(st.st_uid, 65534u);  // the sidecar's user makes its socket there
        EXPECT_EQ(st.st_mode & 07777, 0755u);
    } else {
        EXPECT_EQ(st.st_mode & 07777, 0777u);
    }
}

}  // namespace

namespace {

const std::string agent_start_binary = BOTTLE_BINARY_DIR "/tools/bottle-run/bottle-agent-start";

bottle::os::spawn_output start_agent(const std::vector<std::string>& args, const std::string& home) {
    bottle::os::spawn_request r;
    r.argv = {agent_start_binary};
    r.argv.insert(r.argv.end(), args.begin(), args.end());
    r.env = std::vector<std::string>{"HOME=" + home, "PATH=/usr/bin:/bin"};
    r.stdin_bytes = "g";
    auto o = bottle::os::spawn(r);
    EXPECT_TRUE(o) << o.error().message;
    return o ? *o : bottle::os::spawn_output{};
}

TEST(AgentStartLogin, TheLoginIsCopiedIntoHomeBeforeTheAgentRuns) {
    if (!fs::exists(agent_start_binary)) GTEST_SKIP() << "bottle-agent-start is not built";
    char tmpl[] = "/tmp/bb-login-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl, home = dir + "/home";
    ASSERT_EQ(::mkdir(home.c_str(), 0700), 0);
    ASSERT_TRUE(bottle::os::write_file(dir + "/copy", "{\"token\":\"t\"}", 0400));
    auto ok = start_agent({"--login", dir + "/copy=.codex/auth.json", "--go", "--", "sh", "-c", "cat $HOME/.codex/auth.json; stat -c '%a' $HOME/.codex $HOME/.codex/auth.json"}, home);
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_EQ(ok.out, "{\"token\":\"t\"}700\n600\n");
    // Never over an existing file, never through a symlink: the agent does not run.
    auto again = start_agent({"--login", dir + "/copy=.codex/auth.json", "--go", "--", "echo", "ran"}, home);
    EXPECT_EQ(again.exit_code, 125);
    EXPECT_EQ(again.out, "");
    fs::create_directories(dir + "/elsewhere");
    fs::create_symlink(dir + "/elsewhere", home + "/link");
    auto through = start_agent({"--login", dir + "/copy=link/auth.json", "--go", "--", "echo", "ran"}, home);
    EXPECT_EQ(through.exit_code, 125);
    EXPECT_EQ(through.out, "");
    EXPECT_TRUE(fs::is_empty(dir + "/elsewhere")) << "written through the symlink";
    for (const std::string& bad : std::vector<std::string>{"relative=x", dir + "/copy", dir + "/copy=/abs", dir + "/copy=a/../b", dir + "/copy=a//b", dir + "/copy="}) {
        auto refused = start_agent({"--login", bad, "--go", "--", "echo", "ran"}, home);
        EXPECT_EQ(refused.exit_code, 2) << bad;
        EXPECT_EQ(refused.out, "") << bad;
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
}

}  // namespace
