// The native plan without the OS: each decision from hand-made facts.
#include "bottle-run/backends/native/plan.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <algorithm>

namespace {

using namespace bottle::run;
using namespace bottle::run::native;
using bottle::manifest::bottle_spec;

host_facts rootless() {
    host_facts f;
    f.euid = 1000;
    f.egid = 1000;
    f.landlock_abi = 7;
    f.cgroups = cgroup_version::v1;
    f.v1_controllers = {"cpu", "memory", "pids"};
    f.userns = true;
    f.seccomp = true;
    f.home = "/home/dev";
    f.system_links = {{"bin", "usr/bin"}, {"lib", "usr/lib"}};
    f.system_dirs = {"opt"};
    return f;
}

launch_request request() {
    launch_request r;
    r.argv = {"claude", "--yes"};
    r.bottle_id = "bb-0123456789ab";
    r.launcher_env = {{"PATH", "/home/dev/bin:/usr/bin"}, {"TERM", "xterm"}, {"LANG", "C.UTF-8"},
                      {"AWS_SECRET_ACCESS_KEY", "canary"}, {"SSH_AUTH_SOCK", "/run/user/1000/ssh"}, {"HTTP_PROXY", "http://evil"}};
    return r;
}

bool has_env(const native_plan& p, const std::string& kv) { return std::find(p.env.begin(), p.env.end(), kv) != p.env.end(); }
bool has_env_name(const native_plan& p, const std::string& name) {
    return std::any_of(p.env.begin(), p.env.end(), [&](const std::string& e) { return e.rfind(name + "=", 0) == 0; });
}
const mount_entry* find_mount(const native_plan& p, const std::string& target) {
    for (const auto& m : p.mounts)
        if (m.target == target) return &m;
    return nullptr;
}

TEST(RunPlan, RootlessAgentIsTheInvokingUserWithAnIdentityMap) {
    auto p = plan_for(bottle_spec{}, request(), rootless());
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->agent_uid, 1000u);
    ASSERT_EQ(p->uid_map.size(), 1u);
    EXPECT_EQ(p->uid_map[0].inside, 1000u);
    EXPECT_EQ(p->uid_map[0].outside, 1000u);
    EXPECT_TRUE(p->deny_setgroups);
    EXPECT_FALSE(p->drop_supplementary_groups);
    EXPECT_EQ(p->namespaces, (std::vector<std::string>{"user", "mount", "pid", "net", "ipc", "uts", "cgroup"}));
    EXPECT_EQ(p->hostname, "bb-0123456789ab");
}

TEST(RunPlan, RootLaunchNeverRunsTheAgentAsRoot) {
    auto f = rootless();
    f.euid = 0;
    f.egid = 0;
    auto r = request();
    auto p = plan_for(bottle_spec{}, r, f);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->agent_uid, fallback_uid);
    EXPECT_TRUE(p->drop_supplementary_groups);
    EXPECT_FALSE(p->deny_setgroups);
    f.sudo_uid = 1234;
    f.sudo_gid = 1235;
    p = plan_for(bottle_spec{}, r, f);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->agent_uid, 1234u);
    EXPECT_EQ(p->agent_gid, 1235u);
    r.workspace = "/srv/ws";
    r.workspace_uid = 2000;
    r.workspace_gid = 2001;
    p = plan_for(bottle_spec{}, r, f);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->agent_uid, 2000u) << "the workspace's owner keeps owning what the agent writes";
    r.workspace_uid = 0;
    p = plan_for(bottle_spec{}, r, f);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->agent_uid, 1234u) << "a root-owned workspace does not make the agent root";
}

TEST(RunPlan, ReadOnlySystemWritableWorkspaceFreshHomeAndTmp) {
    auto r = request();
    r.workspace = "/home/dev/src/app";
    auto p = plan_for(bottle_spec{}, r, rootless());
    ASSERT_TRUE(p);
    EXPECT_EQ(find_mount(*p, "/usr")->kind, mount_kind::bind_ro);
    EXPECT_EQ(find_mount(*p, "/etc")->kind, mount_kind::bind_ro);
    EXPECT_EQ(find_mount(*p, "/bin")->kind, mount_kind::symlink);
    EXPECT_EQ(find_mount(*p, "/bin")->source, "usr/bin");
    EXPECT_EQ(find_mount(*p, "/opt")->kind, mount_kind::bind_ro);
    const auto* ws = find_mount(*p, "/workspace");
    ASSERT_NE(ws, nullptr);
    EXPECT_EQ(ws->kind, mount_kind::bind_rw);
    EXPECT_EQ(ws->source, "/home/dev/src/app");
    EXPECT_EQ(p->workdir, "/workspace");
    EXPECT_EQ(find_mount(*p, "/tmp")->kind, mount_kind::scratch_dir);
    EXPECT_EQ(find_mount(*p, "/tmp")->options, "mode=1777");
    EXPECT_EQ(find_mount(*p, home_path)->kind, mount_kind::scratch_dir);
    EXPECT_EQ(find_mount(*p, home_path)->options, "mode=0700");
    const auto* scratch = find_mount(*p, "/scratch");
    ASSERT_NE(scratch, nullptr);
    EXPECT_EQ(scratch->kind, mount_kind::scratch);
    EXPECT_NE(scratch->options.find("uid=1000"), std::string::npos) << scratch->options;
    EXPECT_EQ(find_mount(*p, "/proc/kcore")->kind, mount_kind::mask);
    EXPECT_EQ(find_mount(*p, "/proc/sys")->kind, mount_kind::read_only);
    EXPECT_EQ(find_mount(*p, "/dev")->kind, mount_kind::dev);
    for (const char* hidden : {"/run", "/home/dev", "/root", "/var/run/docker.sock", "/sys"}) EXPECT_EQ(find_mount(*p, hidden), nullptr) << hidden;
    const auto proc = std::find_if(p->mounts.begin(), p->mounts.end(), [](auto& m) { return m.kind == mount_kind::proc; });
    const auto mask = std::find_if(p->mounts.begin(), p->mounts.end(), [](auto& m) { return m.kind == mount_kind::mask; });
    EXPECT_LT(proc, mask) << "masks go over the new /proc, after it is mounted";
}

TEST(RunPlan, ScratchSpaceIsOneTmpfsOfTheBottlesDiskSize) {
    auto p = plan_for(bottle_spec{}, request(), rootless());
    ASSERT_TRUE(p);
    EXPECT_EQ(p->limits.disk_mib, default_disk_mib);
    EXPECT_TRUE(p->limits.disk_default);
    EXPECT_NE(find_mount(*p, "/scratch")->options.find("size=" + std::to_string(default_disk_mib) + "m"), std::string::npos);
    bottle_spec b;
    b.resources.disk_mib = 96;
    p = plan_for(b, request(), rootless());
    ASSERT_TRUE(p);
    EXPECT_EQ(p->limits.disk_mib, 96u);
    EXPECT_FALSE(p->limits.disk_default);
    EXPECT_NE(find_mount(*p, "/scratch")->options.find("size=96m"), std::string::npos);
    const auto j = to_json(*p);
    EXPECT_EQ(j.at("limits").at("disk_mib").to_number<long long>(), 96);
    // /tmp and HOME are directories of that one tmpfs, so together they hold
    // at most its size; the tmpfs is mounted before them.
    std::size_t tmpfs = 0;
    for (const auto& m : p->mounts) tmpfs += m.kind == mount_kind::tmpfs || m.kind == mount_kind::scratch;
    EXPECT_EQ(tmpfs, 1u);
    const auto at = [&](const char* target) {
        return std::find_if(p->mounts.begin(), p->mounts.end(), [&](auto& m) { return m.target == target; });
    };
    EXPECT_LT(at("/scratch"), at("/tmp"));
    EXPECT_LT(at("/scratch"), at(home_path));
}

TEST(RunPlan, ProtectedWorkspacePathsAreReadOnlyEvenWhenAbsent) {
    auto r = request();
    r.workspace = "/home/dev/src/app";
    auto p = plan_for(bottle_spec{}, r, rootless());
    ASSERT_TRUE(p);
    for (const char* sub : {".git", ".vscode", ".idea", ".claude", ".devcontainer", ".husky", ".githooks", ".github/workflows"}) {
        const auto* m = find_mount(*p, std::string("/workspace/") + sub);
        ASSERT_NE(m, nullptr) << sub;
        EXPECT_EQ(m->kind, mount_kind::protect) << sub;
        EXPECT_EQ(m->source, std::string("/home/dev/src/app/") + sub);
        EXPECT_FALSE(m->optional) << sub << ": an absent path is created and covered, never skipped";
    }
    const auto at = [&](const std::string& target) {
        return std::find_if(p->mounts.begin(), p->mounts.end(), [&](auto& m) { return m.target == target; });
    };
    ASSERT_NE(at("/workspace/.github"), p->mounts.end());
    EXPECT_EQ(at("/workspace/.github")->kind, mount_kind::pin);
    EXPECT_LT(at("/workspace"), at("/workspace/.git")) << "protections go over the workspace's bind";
    EXPECT_LT(at("/workspace/.github"), at("/workspace/.github/workflows")) << "pinned before the protected path inside it";
    // Nothing to protect without a workspace.
    p = plan_for(bottle_spec{}, request(), rootless());
    ASSERT_TRUE(p);
    EXPECT_EQ(find_mount(*p, "/workspace/.git"), nullptr);
    // A manifest mount may not reopen a protected path.
    for (const char* guest : {"/workspace/.git", "/workspace/.git/hooks", "/workspace/.vscode", "/workspace/.github/workflows/x"}) {
        bottle_spec b;
        b.mounts = {{"/srv/x", guest, true}};
        EXPECT_TRUE(bottle::failed_with(plan_for(b, r, rootless()), bottle::errc::invalid_argument)) << guest;
    }
    bottle_spec ok;
    ok.mounts = {{"/srv/x", "/workspace/.gitignore-cache", true}};
    EXPECT_TRUE(plan_for(ok, r, rootless())) << "only the protected names, not their prefixes";
}

TEST(RunPlan, ManifestMountsExpandHomeAndMayNotCoverTheSystem) {
    bottle_spec b;
    b.mounts = {{"~/data", "/data", false}, {"/srv/cache", "/cache", true}};
    auto p = plan_for(b, request(), rootless());
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(find_mount(*p, "/data")->source, "/home/dev/data");
    EXPECT_EQ(find_mount(*p, "/data")->kind, mount_kind::bind_ro);
    EXPECT_EQ(find_mount(*p, "/cache")->kind, mount_kind::bind_rw);
    for (const char* guest : {"/usr/local", "/etc", "/proc/sys", "/dev/shm", "/tmp", "/home/agent"}) {
        bottle_spec bad;
        bad.mounts = {{"/srv/x", guest, true}};
        auto q = plan_for(bad, request(), rootless());
        EXPECT_TRUE(bottle::failed_with(q, bottle::errc::invalid_argument)) << guest;
    }
    bottle_spec relative;
    relative.mounts = {{"src", "/src", true}};
    EXPECT_TRUE(bottle::failed_with(plan_for(relative, request(), rootless()), bottle::errc::invalid_argument));
}

TEST(RunPlan, EnvironmentIsAnAllowlist) {
    bottle_spec b;
    b.env = {{"FOO", "bar"}, {"HTTPS_PROXY", "http://manifest-cannot-set-this"}};
    auto p = plan_for(b, request(), rootless());
    ASSERT_TRUE(p);
    EXPECT_TRUE(has_env(*p, "FOO=bar"));
    EXPECT_TRUE(has_env(*p, "TERM=xterm"));
    EXPECT_TRUE(has_env(*p, "LANG=C.UTF-8"));
    EXPECT_TRUE(has_env(*p, "HOME=/home/agent"));
    EXPECT_FALSE(has_env_name(*p, "AWS_SECRET_ACCESS_KEY"));
    EXPECT_FALSE(has_env_name(*p, "SSH_AUTH_SOCK"));
    EXPECT_FALSE(has_env_name(*p, "HTTPS_PROXY")) << "no proxy until the listener exists";
    EXPECT_FALSE(has_env_name(*p, "HTTP_PROXY"));
    EXPECT_FALSE(has_env(*p, "PATH=/home/dev/bin:/usr/bin")) << "the launcher's PATH may name host directories";
}

TEST(RunPlan, ProxyPortSetsEveryProxyVariableAndTheLandlockPort) {
    bottle_spec b;
    b.egress = {{"api.example.com", {443}}, {"*.example.org", {}}};
    auto p = plan_for(b, request(), rootless());
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->proxy);
    EXPECT_EQ(p->egress.allow, (std::vector<std::string>{"api.example.com:443", "*.example.org"}));
    EXPECT_TRUE(p->egress.tunnels.empty());
    EXPECT_FALSE(p->landlock.connect_port);
    use_proxy_port(*p, 41234);
    for (const char* v : {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"})
        EXPECT_TRUE(has_env(*p, std::string(v) + "=http://127.0.0.1:41234")) << v;
    EXPECT_TRUE(has_env(*p, "NO_PROXY="));
    EXPECT_TRUE(has_env(*p, "no_proxy="));
    EXPECT_EQ(p->landlock.connect_port, 41234);
    auto none = plan_for(bottle_spec{}, request(), rootless());
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->proxy) << "no routes: no proxy, no way out at all";
}

TEST(RunPlan, SeccompDeniesTheIssuesList) {
    const auto rules = seccomp_deny_list();
    auto denied = [&](const std::string& name) {
        return std::any_of(rules.begin(), rules.end(), [&](const seccomp_rule& r) { return r.syscall == name; });
    };
    for (const char* s : {"io_uring_setup", "io_uring_enter", "io_uring_register", "ptrace", "process_vm_readv", "process_vm_writev",
                          "bpf", "perf_event_open", "userfaultfd", "add_key", "request_key", "keyctl", "mount", "umount2",
                          "pivot_root", "fsopen", "open_tree", "move_mount", "unshare", "setns", "clone3", "clone", "ioctl", "socket"})
        EXPECT_TRUE(denied(s)) << s;
    const auto clone = std::find_if(rules.begin(), rules.end(), [](auto& r) { return r.syscall == "clone"; });
    ASSERT_TRUE(clone->when);
    EXPECT_TRUE(clone->when->masked_nonzero) << "plain clone (threads, fork) stays allowed";
    EXPECT_EQ(std::count_if(rules.begin(), rules.end(), [](auto& r) { return r.syscall == "socket"; }), 3);
}

TEST(RunPlan, LandlockFollowsTheAbi) {
    auto f = rootless();
    for (int abi : {0, 3, 4, 6}) {
        f.landlock_abi = abi;
        auto p = plan_for(bottle_spec{}, request(), f);
        ASSERT_TRUE(p);
        EXPECT_EQ(p->landlock.abi, abi);
        EXPECT_EQ(p->landlock.paths.empty(), abi == 0);
        EXPECT_EQ(p->landlock.restrict_tcp, abi >= 4) << abi;
        EXPECT_EQ(p->landlock.scope_signal, abi >= 6) << abi;
        EXPECT_EQ(p->landlock.scope_abstract_unix, abi >= 6) << abi;
    }
    f.landlock_abi = 7;
    auto r = request();
    r.workspace = "/w";
    auto p = plan_for(bottle_spec{}, r, f);
    ASSERT_TRUE(p);
    auto access = [&](const std::string& path) -> std::string {
        for (const auto& x : p->landlock.paths)
            if (x.path == path) return x.list_only ? "list" : x.write ? "rw" : "ro";
        return "none";
    };
    EXPECT_EQ(access("/"), "list");
    EXPECT_EQ(access("/usr"), "ro");
    EXPECT_EQ(access("/etc"), "ro");
    EXPECT_EQ(access("/workspace"), "rw");
    EXPECT_EQ(access("/tmp"), "rw");
    EXPECT_EQ(access("/proc"), "ro");
}

TEST(RunPlan, LimitsPickTheStrongestMechanismTheHostOffers) {
    bottle_spec b;
    b.resources.memory_mib = 512;
    b.resources.pids = 64;
    auto f = rootless();
    f.cgroup_writable = true;
    EXPECT_EQ(plan_for(b, request(), f)->limits.mechanism, limit_mechanism::cgroup_v1);
    f.cgroups = cgroup_version::v2;
    EXPECT_EQ(plan_for(b, request(), f)->limits.mechanism, limit_mechanism::cgroup_v2);
    f.cgroup_writable = false;
    EXPECT_EQ(plan_for(b, request(), f)->limits.mechanism, limit_mechanism::rlimit);
    f.cgroups = cgroup_version::none;
    EXPECT_EQ(plan_for(b, request(), f)->limits.mechanism, limit_mechanism::rlimit);
    EXPECT_EQ(plan_for(bottle_spec{}, request(), f)->limits.mechanism, limit_mechanism::none);
}

TEST(RunPlan, RefusesWhatItCannotDo) {
    auto r = request();
    r.argv.clear();
    EXPECT_TRUE(bottle::failed_with(plan_for(bottle_spec{}, r, rootless()), bottle::errc::invalid_argument));
    r = request();
    r.workspace = "relative/dir";
    EXPECT_TRUE(bottle::failed_with(plan_for(bottle_spec{}, r, rootless()), bottle::errc::invalid_argument));
    bottle_spec docker;
    docker.backend = bottle::manifest::backend_kind::docker;
    EXPECT_TRUE(bottle::failed_with(plan_for(docker, request(), rootless()), bottle::errc::unsupported));
}

TEST(RunPlan, JsonCarriesTheResolvedBottleAndEveryDecision) {
    bottle_spec b;
    b.name = "dev";
    b.lineage = {"base", "dev"};
    b.canonical = R"({"env":{"A":"1"}})";
    auto p = plan_for(b, request(), rootless());
    ASSERT_TRUE(p);
    const auto j = to_json(*p).as_object();
    EXPECT_EQ(j.at("bottle").at("lineage").as_array().size(), 2u);
    EXPECT_EQ(j.at("bottle").at("resolved").at("env").at("A").as_string(), "1");
    for (const char* k : {"namespaces", "identity", "mounts", "env", "seccomp", "landlock", "limits", "egress", "argv"})
        EXPECT_TRUE(j.contains(k)) << k;
    EXPECT_EQ(j.at("seccomp").at("bad_arch").as_string(), "kill-process");
}

}  // namespace
