// Real launches: bottle-run starts bottle-run-probe in a bottle and the
// tests compare what the probe saw with what the plan promises. They need
// user namespaces (they run as root here, and once as an ordinary uid when
// runuser and such a user exist).
#include "support/temp_dir.hpp"

#include "bottle_run_process.hpp"

#include "bottle/os/spawn.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

namespace {

namespace fs = std::filesystem;
using bottle::test_support::temp_dir;

using bottle::test_support::bottle_run_binary;
using bottle::test_support::bottle_run_probe_binary;
constexpr uid_t ordinary_uid = 65534;  // the workspace's owner when root runs the tests

using bottle::test_support::userns_works;

/// A workspace holding the probe, owned by an ordinary uid when we are root
/// (so the agent, which takes the workspace owner's uid, can use it).
struct workspace {
    temp_dir dir{"bottle-run-ws"};
    uid_t owner = ::geteuid();
    workspace() {
        fs::copy_file(bottle_run_probe_binary, dir.path() / "probe");
        if (::geteuid() == 0) {
            owner = ordinary_uid;
            fs::permissions(dir.path(), fs::perms::owner_all);
            (void)::chown(dir.path().c_str(), owner, owner);
            (void)::chown((dir.path() / "probe").c_str(), owner, owner);
        }
    }
};

using run_result = bottle::test_support::bottle_run_result;
using bottle::test_support::has_line;

run_result run(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> env{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "LANG=C.UTF-8", "BOTTLE_CANARY=launcher-secret"};
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    return bottle::test_support::run_bottle_run(args, std::move(env));
}

run_result probe_in(const workspace& w, std::vector<std::string> attempts, std::vector<std::string> env = {}) {
    std::vector<std::string> args{"--workspace", w.dir.path().string(), "--", "/workspace/probe"};
    args.insert(args.end(), attempts.begin(), attempts.end());
    return run(args, env);
}


class RunLaunch : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(bottle_run_binary) || !fs::exists(bottle_run_probe_binary)) GTEST_SKIP() << "build bottle-run and bottle-run-probe first";
        if (!userns_works()) GTEST_SKIP() << "user namespaces are not available";
    }
};

TEST_F(RunLaunch, ExitCodesPassThrough) {
    workspace w;
    EXPECT_EQ(probe_in(w, {"exit:0"}).code, 0);
    EXPECT_EQ(probe_in(w, {"exit:7"}).code, 7);
    auto missing = run({"--", "no-such-command-xyz"});
    EXPECT_EQ(missing.code, 127);
    EXPECT_NE(missing.err.find("cannot run no-such-command-xyz"), std::string::npos);
    EXPECT_EQ(run({"--", "/etc/passwd"}).code, 126);
    EXPECT_EQ(run({"--", "sh", "-c", "kill -TERM $$"}).code, 128 + SIGTERM);
}

TEST_F(RunLaunch, AgentIsUnprivilegedAndConfined) {
    workspace w;
    auto r = probe_in(w, {"uid", "caps", "nnp", "seccomp", "pid", "groups"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has_line(r.out, "uid " + std::to_string(w.owner) + " " + std::to_string(w.owner))) << r.out;
    EXPECT_NE(w.owner, 0u);
    EXPECT_TRUE(has_line(r.out, "caps 0000000000000000 0000000000000000 0000000000000000")) << r.out;
    EXPECT_TRUE(has_line(r.out, "nnp 1"));
    EXPECT_TRUE(has_line(r.out, "seccomp 2"));
    EXPECT_TRUE(has_line(r.out, "pid 2")) << "PID 1 is the bottle's init; the agent is its first child";
    if (::geteuid() == 0) {
        EXPECT_TRUE(has_line(r.out, "groups ")) << "root's supplementary groups are dropped: " << r.out;
    }
}

TEST_F(RunLaunch, OnlyLoopbackAndItsOwnHostname) {
    workspace w;
    auto r = probe_in(w, {"ifaces", "hostname", "tcp_connect:22"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has_line(r.out, "ifaces lo")) << r.out;
    EXPECT_NE(r.out.find("hostname bb-"), std::string::npos) << r.out;
    EXPECT_FALSE(has_line(r.out, "tcp_connect ok"));
}

TEST_F(RunLaunch, FilesystemReadOnlySystemWritableWorkspace) {
    workspace w;
    auto r = probe_in(w, {"write:/usr/x", "write:/etc/x", "write:/x", "write:/workspace/made", "write:/tmp/t",
                          "write:/home/agent/h", "read:/root", "read:/run", "readbytes:/proc/kcore", "owner:/home/agent",
                          "read:" + w.dir.path().string()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has_line(r.out, "write err EROFS")) << r.out;
    // The three system writes fail, the three writable places work.
    std::size_t ok = 0, pos = 0;
    while ((pos = r.out.find("write ok", pos)) != std::string::npos) ++ok, ++pos;
    EXPECT_EQ(ok, 3u) << r.out;
    EXPECT_FALSE(has_line(r.out, "read ok")) << "no host /root, /run or the host path of the workspace: " << r.out;
    EXPECT_TRUE(has_line(r.out, "readbytes /proc/kcore 0")) << r.out;
    EXPECT_TRUE(has_line(r.out, "owner /home/agent " + std::to_string(w.owner) + " " + std::to_string(w.owner))) << r.out;
    struct stat st {};
    ASSERT_EQ(::stat((w.dir.path() / "made").c_str(), &st), 0) << "the workspace is the host directory";
    EXPECT_EQ(st.st_uid, w.owner) << "what the agent writes belongs to the workspace's owner";
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0, pos = 0;
    while ((pos = text.find(what, pos)) != std::string::npos) ++n, ++pos;
    return n;
}

TEST_F(RunLaunch, ProtectedWorkspacePathsStayReadOnly) {
    // .git as a whole (a new .git/commondir would point git at another
    // config), and the editor/agent/CI directories, whether they exist or not.
    workspace w;
    fs::create_directories(w.dir.path() / ".git" / "hooks");
    std::ofstream(w.dir.path() / ".git" / "config") << "[core]\n";
    fs::create_directories(w.dir.path() / ".vscode");
    for (const auto& p : {w.dir.path() / ".git", w.dir.path() / ".git" / "hooks", w.dir.path() / ".git" / "config", w.dir.path() / ".vscode"})
        (void)::chown(p.c_str(), w.owner, w.owner);
    auto r = probe_in(w, {"write:/workspace/.git/hooks/post-checkout", "write:/workspace/.git/config", "write:/workspace/.git/commondir",
                          "write:/workspace/.vscode/tasks.json", "write:/workspace/.claude/settings.json",
                          "write:/workspace/.github/workflows/x.yml", "mkdir:/workspace/.idea/runConfigurations",
                          "rename:/workspace/.github,/workspace/gh", "rename:/workspace/.claude,/workspace/cl", "rmdir:/workspace/.husky",
                          "write:/workspace/.github/CODEOWNERS", "write:/workspace/src.c"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(count(r.out, "write ok"), 2u) << "only files outside the protected paths: " << r.out;
    EXPECT_EQ(count(r.out, "write err EROFS"), 6u) << r.out;
    EXPECT_TRUE(has_line(r.out, "mkdir err EROFS")) << r.out;
    EXPECT_EQ(count(r.out, "rename err EBUSY"), 2u) << "a protected or pinned path cannot be moved aside: " << r.out;
    EXPECT_TRUE(has_line(r.out, "rmdir err EBUSY")) << r.out;
    EXPECT_FALSE(fs::exists(w.dir.path() / ".git" / "hooks" / "post-checkout")) << r.out;
    EXPECT_FALSE(fs::exists(w.dir.path() / ".git" / "commondir")) << r.out;
    std::ifstream config(w.dir.path() / ".git" / "config");
    std::string text((std::istreambuf_iterator<char>(config)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "[core]\n") << "the host's git config is unchanged";
    EXPECT_TRUE(fs::exists(w.dir.path() / ".vscode")) << "what existed stays";
    EXPECT_TRUE(fs::exists(w.dir.path() / "src.c"));
    // What the bottle created to cover absent paths is gone; .github stays
    // because the agent wrote into it.
    for (const char* gone : {".claude", ".idea", ".husky", ".githooks", ".devcontainer", ".github/workflows"})
        EXPECT_FALSE(fs::exists(w.dir.path() / gone)) << gone;
    EXPECT_TRUE(fs::exists(w.dir.path() / ".github" / "CODEOWNERS"));
}

TEST_F(RunLaunch, WorkspaceWithoutProtectedPathsIsLeftAsItWas) {
    workspace w;
    auto r = probe_in(w, {"exit:0"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(w.dir.path())) names.push_back(e.path().filename().string());
    EXPECT_EQ(names, std::vector<std::string>{"probe"}) << "the empty directories made for the bottle are removed";
}

TEST_F(RunLaunch, TmpAndHomeShareTheBottlesDiskSize) {
    workspace w;
    temp_dir cfg{"bottle-run-cfg"};
    const auto manifest = cfg.path() / "m.json";
    std::ofstream(manifest) << R"({"bottles": {"small": {"resources": {"disk_mib": 24}}}})";
    auto r = run({"--manifest", manifest.string(), "--bottle", "small", "--workspace", w.dir.path().string(), "--", "/workspace/probe",
                  "fill:/home/agent/a", "fillkeep:/tmp/b", "fill:/home/agent/c"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has_line(r.out, "fill /home/agent/a 24 ENOSPC")) << r.out;
    EXPECT_TRUE(has_line(r.out, "fillkeep /tmp/b 24 ENOSPC")) << r.out;
    EXPECT_TRUE(has_line(r.out, "fill /home/agent/c 0 ENOSPC")) << "one size for /tmp and HOME together: " << r.out;
    // Without disk_mib: the default, far below half the host's RAM.
    r = probe_in(w, {"fill:/tmp/c"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has_line(r.out, "fill /tmp/c 512 ENOSPC")) << r.out;
}

TEST_F(RunLaunch, EnvironmentIsScrubbed) {
    workspace w;
    auto r = probe_in(w, {"env"}, {"AWS_SECRET_ACCESS_KEY=canary-token", "HTTPS_PROXY=http://host-proxy:3128", "TERM=vt100"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.find("canary"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("launcher-secret"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("host-proxy"), std::string::npos) << r.out;
    EXPECT_TRUE(has_line(r.out, "env TERM=vt100")) << r.out;
    EXPECT_TRUE(has_line(r.out, "env HOME=/home/agent")) << r.out;
}

TEST_F(RunLaunch, SeccompDeniesTheListInsideTheBottle) {
    workspace w;
    auto r = probe_in(w, {"unshare", "clone_ns", "ptrace", "io_uring", "bpf", "userfaultfd", "keyctl", "mount", "af_packet",
                          "af_netlink", "af_vsock", "tiocsti", "af_unix"});
    ASSERT_EQ(r.code, 0) << r.err;
    for (const char* denied : {"unshare", "clone_ns", "ptrace", "io_uring", "bpf", "userfaultfd", "keyctl", "mount", "tiocsti"})
        EXPECT_TRUE(has_line(r.out, std::string(denied) + " err EPERM")) << denied << "\n" << r.out;
    for (const char* family : {"af_packet", "af_netlink", "af_vsock"})
        EXPECT_TRUE(has_line(r.out, std::string(family) + " err EAFNOSUPPORT")) << family << "\n" << r.out;
    EXPECT_TRUE(has_line(r.out, "af_unix ok")) << "the control: an allowed socket family still works";
}

TEST_F(RunLaunch, OtherArchitectureEntriesKillTheProcess) {
    workspace w;
    EXPECT_EQ(probe_in(w, {"int80"}).code, 128 + SIGSYS);
    EXPECT_EQ(probe_in(w, {"x32"}).code, 128 + SIGSYS);
    EXPECT_EQ(probe_in(w, {"pid"}).code, 0) << "the control: a native call runs";
}

TEST_F(RunLaunch, LandlockRefusesTcpBindAndConnect) {
    workspace w;
    auto r = probe_in(w, {"tcp_bind", "tcp_connect:9"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has_line(r.out, "tcp_bind err EACCES")) << r.out;
    EXPECT_TRUE(has_line(r.out, "tcp_connect err EACCES")) << r.out;
}

TEST_F(RunLaunch, SignalsAreForwardedAndTheBottleTornDown) {
    workspace w;
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::execl(bottle_run_binary.c_str(), bottle_run_binary.c_str(), "--workspace", w.dir.path().c_str(), "--", "/workspace/probe", "sleep:30", nullptr);
        _exit(99);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_EQ(::kill(pid, SIGTERM), 0);
    int status = 0;
    const auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM) << "the agent got SIGTERM and bottle-run exits with its status";
}

TEST_F(RunLaunch, EveryInjectedFaultExits125AndLeavesNothing) {
    workspace w;
    temp_dir runtime{"bottle-run-state"};
    const std::string xdg = "XDG_RUNTIME_DIR=" + runtime.path().string();
    auto leftovers = [&] {
        std::error_code ec;
        std::size_t n = 0;
        // Launch records stay on purpose (resume relaunches from them).
        for (auto it = fs::directory_iterator(runtime.path() / "bot-bottle", ec); !ec && it != fs::directory_iterator(); ++it)
            n += it->path().filename().string().find(".launch.json") == std::string::npos;
        return n;
    };
    for (const char* step : {"cgroup", "clone", "maps", "hostname", "loopback", "filesystem", "state"}) {
        auto r = probe_in(w, {"exit:0"}, {std::string("BOTTLE_RUN_FAULT=") + step, xdg});
        EXPECT_EQ(r.code, 125) << step << ": " << r.err;
        EXPECT_NE(r.err.find("launch failed"), std::string::npos) << step << ": " << r.err;
        EXPECT_EQ(leftovers(), 0u) << step;
    }
    // The proxy's steps, in a bottle with a route (bottle-egress must exist
    // for "listener"; "proxy" fails in its place).
    std::ofstream(runtime.path() / "m.json") << R"({"bottles":{"web":{"egress":[{"host":"api.example.com","ports":[443]}]}}})";
    for (const char* step : {"proxy", "listener"}) {
        if (std::string(step) == "listener" && !fs::exists(BOTTLE_BINARY_DIR "/tools/bottle-egress/bottle-egress")) continue;
        auto r = run({"--manifest", (runtime.path() / "m.json").string(), "--bottle", "web", "--workspace", w.dir.path().string(), "--",
                      "/workspace/probe", "exit:0"},
                     {std::string("BOTTLE_RUN_FAULT=") + step, xdg});
        EXPECT_EQ(r.code, 125) << step << ": " << r.err;
        EXPECT_NE(r.err.find("injected fault"), std::string::npos) << step << ": " << r.err;
        EXPECT_EQ(leftovers(), 0u) << step;
    }
    auto control = probe_in(w, {"exit:0"}, {"BOTTLE_RUN_FAULT=none", xdg});
    EXPECT_EQ(control.code, 0) << "the control: no fault, a clean launch: " << control.err;
    EXPECT_EQ(leftovers(), 0u) << "a clean exit removes its state";
}

TEST_F(RunLaunch, ASingleFileMountIsUsableAndReadOnly) {
    // A manifest mount of one file (the escape harness mounts its probe so):
    // Landlock rules on a file may carry file rights only, else the kernel
    // refuses the rule and the launch fails with 125.
    workspace w;
    temp_dir cfg{"bottle-run-cfg"};
    const auto manifest = cfg.path() / "m.json";
    const auto data = cfg.path() / "data";
    std::ofstream(data) << "read me\n";
    fs::permissions(cfg.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    fs::permissions(data, fs::perms::all);  // even a world-writable file stays read-only in the bottle
    std::ofstream(manifest) << R"({"bottles": {"f": {"mounts": [{"host": ")" << (w.dir.path() / "probe").string()
                            << R"(", "guest": "/tools/probe", "mode": "ro"}, {"host": ")" << data.string()
                            << R"(", "guest": "/tools/data", "mode": "ro"}]}}})";
    auto r = run({"--manifest", manifest.string(), "--bottle", "f", "--workspace", w.dir.path().string(), "--", "/tools/probe",
                  "write:/tools/data", "write:/workspace/next-to-it"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(has_line(r.out, "write err EROFS") || has_line(r.out, "write err EACCES")) << r.out;
    EXPECT_TRUE(has_line(r.out, "write ok")) << r.out;
}

TEST_F(RunLaunch, RootlessPidsLimitHoldsWithoutCgroups) {
    // An ordinary user cannot write this host's cgroups: the manifest's pids
    // limit falls back to RLIMIT_NPROC in the bottle (a fork bomb stops there).
    if (::geteuid() != 0) GTEST_SKIP() << "runs as nobody through runuser, from root";
    if (!fs::exists("/usr/sbin/runuser")) GTEST_SKIP() << "runuser is not installed";
    workspace w;
    temp_dir bin{"bottle-run-bin"};
    fs::permissions(bin.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    fs::copy_file(bottle_run_binary, bin.path() / "bottle-run");
    std::ofstream(bin.path() / "m.json") << R"({"bottles": {"small": {"resources": {"pids": 12}}, "roomy": {"resources": {"pids": 200}}}})";
    fs::permissions(bin.path() / "m.json", fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    auto forty_sleeps = [&](const std::string& bottle) {
        bottle::os::spawn_request r;
        r.argv = {"/usr/sbin/runuser", "-u", "nobody", "--", (bin.path() / "bottle-run").string(), "--manifest",
                  (bin.path() / "m.json").string(), "--bottle", bottle, "--", "sh", "-c",
                  "for i in $(seq 40); do sleep 2 & done; echo spawned-all"};
        r.env = std::vector<std::string>{"PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + w.dir.path().string()};
        r.timeout = std::chrono::seconds(30);
        return bottle::os::spawn(r);
    };
    auto roomy = forty_sleeps("roomy");
    ASSERT_TRUE(roomy) << roomy.error().message;
    EXPECT_EQ(roomy->exit_code, 0) << "the control: 40 processes fit under 200: " << roomy->err;
    EXPECT_NE(roomy->out.find("spawned-all"), std::string::npos);
    auto small = forty_sleeps("small");
    ASSERT_TRUE(small) << small.error().message;
    EXPECT_EQ(small->out.find("spawned-all"), std::string::npos) << "40 processes under a limit of 12";
    EXPECT_NE(small->err.find("fork"), std::string::npos) << small->err;  // dash: "Cannot fork", exit 2
    EXPECT_NE(small->exit_code, 0);
}

TEST_F(RunLaunch, RootlessAsAnOrdinaryUser) {
    if (::geteuid() != 0) GTEST_SKIP() << "already an ordinary user: the other tests covered it";
    if (!fs::exists("/usr/sbin/runuser")) GTEST_SKIP() << "runuser is not installed";
    workspace w;
    // bottle-run and the probe must be reachable by that user.
    temp_dir bin{"bottle-run-bin"};
    fs::permissions(bin.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    fs::copy_file(bottle_run_binary, bin.path() / "bottle-run");
    bottle::os::spawn_request r;
    r.argv = {"/usr/sbin/runuser", "-u", "nobody", "--", (bin.path() / "bottle-run").string(), "--workspace", w.dir.path().string(),
              "--", "/workspace/probe", "uid", "caps", "write:/workspace/rootless", "tcp_bind"};
    r.env = std::vector<std::string>{"PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + w.dir.path().string()};
    r.timeout = std::chrono::seconds(30);
    auto out = bottle::os::spawn(r);
    ASSERT_TRUE(out) << out.error().message;
    ASSERT_EQ(out->exit_code, 0) << out->err;
    EXPECT_TRUE(has_line(out->out, "uid 65534 65534")) << out->out;
    EXPECT_TRUE(has_line(out->out, "caps 0000000000000000 0000000000000000 0000000000000000")) << out->out;
    EXPECT_TRUE(has_line(out->out, "write ok"));
    EXPECT_TRUE(has_line(out->out, "tcp_bind err EACCES"));
}

}  // namespace
