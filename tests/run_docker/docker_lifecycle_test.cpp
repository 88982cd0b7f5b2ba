// The docker backend against a real daemon: a private dockerd the test starts
// in a network namespace of its own (docker_fixture.sh), never the host's.
// Each test checks what the daemon holds afterwards, by label, so a leak of a
// container or a network fails it. Skipped, with the reason, where dockerd or
// root is missing.
#include "run/bottle_run_process.hpp"
#include "run_docker/docker_lab.hpp"

#include "support/text.hpp"

#include "bottle/os/spawn.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

const std::string& bottle_run = bottle::test_support::bottle_run_binary;

/// execve's form of `v`: pointers into its strings, then nullptr.
std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& x : v) out.push_back(x.data());
    out.push_back(nullptr);
    return out;
}

bottle::test_support::docker_lab& daemon() {
    static bottle::test_support::docker_lab d = bottle::test_support::start_docker_lab("bb-dockertest");
    return d;
}

class DockerLifecycle : public ::testing::Test {
protected:
    static void TearDownTestSuite() { bottle::test_support::stop_docker_lab(daemon()); }
    void SetUp() override {
        if (!daemon().up) GTEST_SKIP() << daemon().skip;
        if (!std::filesystem::exists(bottle_run)) GTEST_SKIP() << "bottle-run is not built";
        manifest_ = daemon().dir + "/manifest.json";
        sidecar_built_ = std::filesystem::exists(BOTTLE_BINARY_DIR "/tools/bottle-egress/bottle-egress-static");
        std::ofstream(manifest_) << R"({"bottles": {"lab": {"egress": [{"host": "allowed.example.com", "ports": [80, 443]}],
                                         "resources": {"memory_mib": 256, "pids": 64}}}})";
    }
    /// A bottle with routes needs the sidecar's static proxy, which builds
    /// without sanitizers only (the asan preset has none).
    bool sidecar_built_ = false;
    static constexpr const char* no_sidecar = "bottle-egress-static is not built (BOTTLE_STATIC_EGRESS=OFF, as in sanitizer builds)";
    /// Without the pool (BOT_BOTTLE_DOCKER_POOL=0: a waiting sidecar would
    /// stay labelled after each launch); the pool's own test turns it on.
    std::vector<std::string> env() const {
        return {"DOCKER_HOST=unix://" + daemon().dir + "/docker.sock", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "XDG_RUNTIME_DIR=" + daemon().dir + "/run", "HOME=" + daemon().dir, "BOT_BOTTLE_DOCKER_POOL=0"};
    }
    struct ran {
        int code = -1;
        std::string out, err;
    };
    ran run(std::vector<std::string> args, const std::vector<std::string>& extra_env = {}) const {
        bottle::os::spawn_request r;
        r.argv = {bottle_run};
        r.argv.insert(r.argv.end(), args.begin(), args.end());
        r.env = env();
        for (const auto& x : extra_env) {  // replaces the same variable (getenv takes the first)
            const auto key = x.substr(0, x.find('=') + 1);
            std::erase_if(*r.env, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
            r.env->push_back(x);
        }
        const std::chrono::seconds timeout(60);
        r.timeout = timeout;
        auto o = bottle::os::spawn(r);
        if (!o) return {-2, "", o.error().message};
        return {o->exit_code >= 0 ? o->exit_code : 128 + o->term_signal, o->out, o->err};
    }
    /// What the daemon holds with our label once the launcher's reaper
    /// (reaper.hpp: it tears down after bottle-run returned) is done: polled
    /// until empty, for up to 20 s.
    std::string leftovers() const {
        std::string now = leftovers_now();
        for (int i = 0; i < 200 && !now.empty(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            now = leftovers_now();
        }
        return now;
    }
    /// What the daemon holds with our label right now: container and network names.
    std::string leftovers_now() const {
        std::string all;
        for (const auto& what : {std::vector<std::string>{"ps", "-a", "--filter", "label=bot-bottle.id", "--format", "{{.Names}}"},
                                 std::vector<std::string>{"network", "ls", "--filter", "label=bot-bottle.id", "--format", "{{.Name}}"}}) {
            bottle::os::spawn_request r;
            r.argv = {"docker", "-H", "unix://" + daemon().dir + "/docker.sock"};
            r.argv.insert(r.argv.end(), what.begin(), what.end());
            auto o = bottle::os::spawn(r);
            if (!o || !o->succeeded()) return "(docker failed)";
            all += o->out;
        }
        return all;
    }
    /// bottle-run in the background (stdin /dev/null), to be signalled.
    pid_t start(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {}) const {
        std::vector<std::string> all{bottle_run};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<std::string> e = env();
        e.insert(e.end(), extra_env.begin(), extra_env.end());
        auto argv = c_strings(all), envp = c_strings(e);
        const pid_t pid = ::fork();
        if (pid == 0) {
            const int null = ::open("/dev/null", O_RDONLY);
            ::dup2(null, 0);
            ::execve(argv[0], argv.data(), envp.data());
            _exit(127);
        }
        return pid;
    }
    std::vector<std::string> routed(std::vector<std::string> cmd) const {
        std::vector<std::string> a{"--manifest", manifest_, "--bottle", "lab", "--backend", "docker", "--image", "bbtest:latest", "--"};
        a.insert(a.end(), cmd.begin(), cmd.end());
        return a;
    }
    std::string manifest_;
};

TEST_F(DockerLifecycle, ExitCodeOutputAndNothingLeft) {
    auto r = run({"--backend", "docker", "--image", "bbtest:latest", "--", "sh", "-c", "id -u; echo to-err >&2; exit 7"});
    EXPECT_EQ(r.code, 7) << r.err;
    EXPECT_EQ(r.out, "65534\n");  // root launched it; the agent is nobody
    EXPECT_EQ(r.err, "to-err\n");
    EXPECT_EQ(leftovers(), "");
}

TEST_F(DockerLifecycle, RoutesGoThroughTheSidecarOnlyAndAreTornDown) {
    if (!sidecar_built_) GTEST_SKIP() << no_sidecar;
    // The proxy answers a denied host with 403; nothing else is reachable.
    // The socket topology (runc's default): the agent has no network, only
    // loopback, where bottle-agent-start forwards the proxy's port to the
    // sidecar's socket. The network topology (gVisor's; chosen here by
    // BOT_BOTTLE_DOCKER_TOPOLOGY): no route out of the internal network, no
    // host address on its bridge.
    const std::string script =
        "p=${HTTP_PROXY#http://}; echo \"GET http://denied.example.net/ HTTP/1.1\r\nHost: denied.example.net\r\n\r\n\" "
        "| nc -w 5 ${p%:*} ${p#*:} | grep -c '403 Forbidden'; "
        "if nc -w 2 1.1.1.1 80 </dev/null; then echo OUT; fi; "
        "if nc -w 2 ${p%.*}.1 80 </dev/null; then echo HOST; fi; cat /proc/self/status | grep -c 'CapEff:.0000000000000000'; "
        "grep -c : /proc/net/route; ls /sys/class/net | tr '\\n' ' '";
    for (const char* topology : {"socket", "network"}) {
        SCOPED_TRACE(topology);
        auto r = run(routed({"sh", "-c", script}), {std::string("BOT_BOTTLE_DOCKER_TOPOLOGY=") + topology, "BOTTLE_RUN_DOCKER_TRACE=1"});
        EXPECT_EQ(r.code, 0) << r.err;
        if (std::string_view(topology) == "socket") {
            EXPECT_EQ(r.out, "1\n1\n0\nlo ") << r.err;  // no route at all, no interface but loopback
            EXPECT_EQ(r.err.find("-int"), std::string::npos) << r.err;  // no internal network made
        } else {
            EXPECT_EQ(r.out.substr(0, 4), "1\n1\n") << r.err;
            EXPECT_NE(r.out.find("eth0"), std::string::npos) << r.out;
        }
        EXPECT_EQ(leftovers(), "");
    }
    // The sidecar's decision log outlives it: <state>/<id>.egress.log, which
    // `bottle-run log ID` shows; its socket's directory is gone.
    std::string logs, shown;
    for (const auto& f : std::filesystem::directory_iterator(daemon().dir + "/run/bot-bottle")) {
        const auto name = f.path().filename().string();
        EXPECT_FALSE(name.ends_with(".egress.d")) << name;
        if (name.ends_with(".egress.log")) {
            logs += bottle::test_support::slurp(f.path());
            shown += run({"log", name.substr(0, name.find('.'))}).out;
        }
    }
    EXPECT_NE(logs.find("denied.example.net"), std::string::npos) << logs;
    EXPECT_NE(shown.find("denied.example.net"), std::string::npos) << shown;
    EXPECT_EQ(run({"log", "bb-000000000000"}).code, 125);
    EXPECT_EQ(run(routed({"true"}), {"BOT_BOTTLE_DOCKER_TOPOLOGY=bridge"}).code, 125);
}

/// The waiting pool entries' records, once there are `n` (up to 20 s).
std::vector<std::string> pool_records(const std::string& state, std::size_t n) {
    std::vector<std::string> found;
    for (int i = 0; i < 200; ++i) {
        found.clear();
        std::error_code ec;
        for (std::filesystem::directory_iterator it(state + "/docker-pool", ec), end; !ec && it != end; it.increment(ec))
            if (it->path().extension() == ".json") found.push_back(bottle::test_support::slurp(it->path()));
        if (found.size() >= n) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return found;
}

TEST_F(DockerLifecycle, APooledSidecarServesTheNextRoutedLaunchAndIsNeverReused) {
    if (!sidecar_built_) GTEST_SKIP() << no_sidecar;
    const std::vector<std::string> pool{"BOT_BOTTLE_DOCKER_POOL=1", "BOTTLE_RUN_DOCKER_TRACE=1"};
    const std::string state = daemon().dir + "/run/bot-bottle";
    const std::string denied = "p=${HTTP_PROXY#http://}; echo \"GET http://denied.example.net/ HTTP/1.1\r\nHost: denied.example.net\r\n\r\n\" "
                               "| nc -w 5 ${p%:*} ${p#*:} | grep -c '403 Forbidden'";
    // The first launch finds the pool empty and starts its own sidecar; its
    // reaper then makes a waiting one.
    auto first = run(routed({"sh", "-c", denied}), pool);
    ASSERT_EQ(first.code, 0) << first.err;
    EXPECT_EQ(first.out, "1\n");
    auto waiting = pool_records(state, 1);
    ASSERT_EQ(waiting.size(), 1u);
    const auto container = [](const std::string& record) {
        const auto at = record.find("\"container\":\"") + 13;
        return record.substr(at, record.find('"', at) - at);
    };
    const std::string pooled = container(waiting[0]);
    ASSERT_EQ(pooled.rfind("bp-", 0), 0u) << waiting[0];
    // The second launch claims it: no network and no sidecar made, its
    // arguments written on the waiting sidecar's stdin; the routes hold.
    auto second = run(routed({"sh", "-c", denied}), pool);
    ASSERT_EQ(second.code, 0) << second.err;
    EXPECT_EQ(second.out, "1\n");
    EXPECT_EQ(second.err.find("/networks/create"), std::string::npos) << second.err;
    EXPECT_NE(second.err.find("/containers/" + pooled + "/attach"), std::string::npos) << second.err;
    // After it, the claimed sidecar is gone (never handed out again) and a new one waits.
    waiting = pool_records(state, 1);
    ASSERT_EQ(waiting.size(), 1u);
    EXPECT_NE(container(waiting[0]), pooled);
    bottle::os::spawn_request q;
    q.argv = {"docker", "-H", "unix://" + daemon().dir + "/docker.sock", "ps", "-a", "--filter", "name=" + pooled, "--format", "{{.Names}}"};
    auto gone = bottle::os::spawn(q);
    ASSERT_TRUE(gone);
    EXPECT_EQ(gone->out, "");
    // An entry another bottle-run made (another spec: other limits, another
    // proxy) is never claimed, and the next fill retires it.
    const std::string older = container(waiting[0]);
    for (const auto& f : std::filesystem::directory_iterator(state + "/docker-pool"))
        if (f.path().extension() == ".json") {
            auto text = bottle::test_support::slurp(f.path());
            const auto at = text.find("\"spec\":\"") + 8;
            text.replace(at, text.find('"', at) - at, "an-older-spec");
            std::ofstream(f.path()) << text;
        }
    auto third = run(routed({"true"}), pool);
    ASSERT_EQ(third.code, 0) << third.err;
    EXPECT_NE(third.err.find("/networks/create"), std::string::npos) << third.err;  // started its own sidecar
    for (int i = 0; i < 200; ++i) {
        waiting = pool_records(state, 1);
        if (waiting.size() == 1 && container(waiting[0]) != older) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(waiting.size(), 1u);
    EXPECT_NE(container(waiting[0]), older);
    q.argv = {"docker", "-H", "unix://" + daemon().dir + "/docker.sock", "ps", "-a", "--filter", "name=" + older, "--format", "{{.Names}}"};
    gone = bottle::os::spawn(q);
    ASSERT_TRUE(gone);
    EXPECT_EQ(gone->out, "");
    // The network topology has its own pool: a waiting sidecar on an
    // internal network of its own, which the next launch's agent joins.
    const std::vector<std::string> network_pool{"BOT_BOTTLE_DOCKER_POOL=1", "BOTTLE_RUN_DOCKER_TRACE=1", "BOT_BOTTLE_DOCKER_TOPOLOGY=network"};
    auto cold = run(routed({"sh", "-c", denied}), network_pool);
    ASSERT_EQ(cold.code, 0) << cold.err;
    waiting = pool_records(state, 2);  // the socket topology's and the network topology's
    ASSERT_EQ(waiting.size(), 2u);
    std::string network_entry;
    for (const auto& w : waiting)
        if (w.find("\"internal\":\"bp-") != std::string::npos) network_entry = container(w);
    ASSERT_FALSE(network_entry.empty());
    auto warm = run(routed({"sh", "-c", denied + "; ls /sys/class/net | tr '\\n' ' '"}), network_pool);
    ASSERT_EQ(warm.code, 0) << warm.err;
    EXPECT_EQ(warm.out, "1\neth0 lo ") << warm.err;  // the 403, and the agent on its one (internal) network
    EXPECT_EQ(warm.err.find("/networks/create"), std::string::npos) << warm.err;
    EXPECT_NE(warm.err.find("/containers/" + network_entry + "/attach"), std::string::npos) << warm.err;
    ASSERT_EQ(pool_records(state, 2).size(), 2u);
    // gc keeps a waiting sidecar; with the pool off it removes it and its files.
    auto kept = run({"gc"}, pool);
    EXPECT_EQ(kept.out.find("removed docker"), std::string::npos) << kept.out;
    auto drained = run({"gc"});
    EXPECT_NE(drained.out.find("(pool)"), std::string::npos) << drained.out;
    EXPECT_EQ(leftovers(), "");
    EXPECT_TRUE(pool_records(state, 0).empty());
    std::string files;  // nothing of an entry left (the fillers' .lock stays)
    for (const auto& f : std::filesystem::directory_iterator(state + "/docker-pool"))
        if (f.path().filename() != ".lock") files += f.path().filename().string() + " ";
    EXPECT_EQ(files, "");
}

TEST_F(DockerLifecycle, AForwardedLoginIsAPrivateCopyInTheAgentsHome) {
    // A provider with codex's opt-in login file, on a fake host HOME.
    const std::string home = daemon().dir + "/login-home", providers = daemon().dir + "/login-providers", manifest = daemon().dir + "/login.json";
    const std::string login = R"({"tokens":{"access_token":"at-d0c4e7-never-printed"}})";
    std::filesystem::create_directories(home + "/.codex");
    std::filesystem::create_directories(providers);
    std::ofstream(home + "/.codex/auth.json") << login;
    std::ofstream(providers + "/login.json") << R"({"command": ["true"], "image": "x", "egress": [],
        "credentials": {"kind": "login_file", "opt_in_env": "BOT_BOTTLE_CODEX_FORWARD_LOGIN", "host_dir_env": "CODEX_HOME",
                        "host_dir": "~/.codex", "file": "auth.json", "agent_path": ".codex/auth.json", "remedy": "log in"}})";
    std::ofstream(manifest) << R"({"bottles": {"plain": {}}, "agents": {"coder": {"bottle": "plain", "provider": "login", "command": ["sh", "-c",
        "cat $HOME/.codex/auth.json; echo; ls -ln $HOME/.codex/auth.json; ls -lnd $HOME/.codex; echo changed >> $HOME/.codex/auth.json && echo rewritten"]}}})";
    const std::vector<std::string> env{"HOME=" + home, "BOT_BOTTLE_PROVIDERS=" + providers, "BOT_BOTTLE_CODEX_FORWARD_LOGIN=1"};
    auto dry = run({"--manifest", manifest, "--backend", "docker", "--image", "bbtest:latest", "--dry-run", "agent", "coder"}, env);
    ASSERT_EQ(dry.code, 0) << dry.err;
    EXPECT_EQ(dry.out.find("at-d0c4e7"), std::string::npos) << dry.out;  // the path, never the content
    EXPECT_NE(dry.out.find("\"credential_files\":[\"/home/agent/.codex/auth.json\"]"), std::string::npos) << dry.out;
    auto r = run({"--manifest", manifest, "--backend", "docker", "--image", "bbtest:latest", "agent", "coder"}, env);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.rfind(login + "\n-rw-------", 0), 0u) << r.out;  // 0600 in the agent's HOME (a tmpfs)
    EXPECT_NE(r.out.find(" 65534 "), std::string::npos) << r.out;     // the agent's own
    EXPECT_NE(r.out.find("drwx------"), std::string::npos) << r.out;  // its parent 0700
    EXPECT_NE(r.out.find("rewritten"), std::string::npos) << r.out;   // the agent may refresh its copy...
    EXPECT_EQ(bottle::test_support::slurp(home + "/.codex/auth.json"), login);  // ...never the host's
    EXPECT_EQ(r.err.find("at-d0c4e7"), std::string::npos) << r.err;
    EXPECT_EQ(leftovers(), "");
    for (int i = 0; i < 100; ++i) {  // the launch's copy goes with the bottle (its reaper)
        bool copies = false;
        for (const auto& f : std::filesystem::directory_iterator(daemon().dir + "/run/bot-bottle")) copies |= f.path().extension() == ".login";
        if (!copies) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (i == 99) ADD_FAILURE() << "the login copy is still in the state directory";
    }
}

TEST_F(DockerLifecycle, SigtermIsForwardedAndEverythingGoes) {
    if (!sidecar_built_) GTEST_SKIP() << no_sidecar;
    const pid_t pid = start(routed({"sleep", "60"}));
    ASSERT_GT(pid, 0);
    // Wait until the agent runs (its container exists and is running).
    bool running = false;
    for (int i = 0; i < 100 && !running; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        bottle::os::spawn_request q;
        q.argv = {"docker", "-H", "unix://" + daemon().dir + "/docker.sock", "ps", "--filter", "label=bot-bottle.role=agent", "--format", "{{.Names}}"};
        auto o = bottle::os::spawn(q);
        running = o && !o->out.empty();
    }
    ASSERT_TRUE(running);
    ::kill(pid, SIGTERM);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
    EXPECT_EQ(leftovers(), "");
}

/// The name of the running agent container, once there is one (up to 10 s).
std::string running_agent(const std::string& dir) {
    for (int i = 0; i < 100; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        bottle::os::spawn_request q;
        q.argv = {"docker", "-H", "unix://" + dir + "/docker.sock", "ps", "--filter", "label=bot-bottle.role=agent", "--format", "{{.Names}}"};
        auto o = bottle::os::spawn(q);
        if (o && !o->out.empty()) return o->out;
    }
    return "";
}

TEST_F(DockerLifecycle, KilledLauncherTakesItsAgentAlongWithoutGc) {
    if (!sidecar_built_) GTEST_SKIP() << no_sidecar;
    const pid_t pid = start(routed({"sleep", "60"}));
    ASSERT_GT(pid, 0);
    ASSERT_FALSE(running_agent(daemon().dir).empty());
    const auto killed = std::chrono::steady_clock::now();
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    // The reaper saw the launcher's pipe close: both containers (the agent
    // killed) and both networks go, with no gc.
    EXPECT_EQ(leftovers(), "");
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed).count();
    EXPECT_LT(took, 10000);
    std::cerr << "agent and networks gone " << took << " ms after the launcher's SIGKILL\n";
}

TEST_F(DockerLifecycle, KilledLauncherLeavesLabelledLeftoversThatGcRemoves) {
    if (!sidecar_built_) GTEST_SKIP() << no_sidecar;
    // Without its reaper (as if that was killed too), a killed launcher's
    // bottle stays until gc.
    const pid_t pid = start(routed({"sleep", "60"}), {"BOTTLE_RUN_FAULT=docker-no-reaper"});
    ASSERT_GT(pid, 0);
    std::string names;
    for (int i = 0; i < 100; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        bottle::os::spawn_request q;
        q.argv = {"docker", "-H", "unix://" + daemon().dir + "/docker.sock", "ps", "--filter", "label=bot-bottle.role=agent", "--format", "{{.Names}}"};
        auto o = bottle::os::spawn(q);
        if (o && !o->out.empty()) {
            names = o->out;
            break;
        }
    }
    ASSERT_FALSE(names.empty());
    // ls sees it while its launcher runs (once the agent has its go: its
    // container runs from before the sidecar is ready); gc leaves a live bottle alone.
    auto ls = run({"ls"});
    for (int i = 0; i < 100 && ls.out.find(names.substr(3, 15)) == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        ls = run({"ls"});
    }
    EXPECT_NE(ls.out.find(names.substr(3, 15)), std::string::npos) << ls.out;
    auto gc_live = run({"gc"});
    EXPECT_EQ(gc_live.out.find("removed docker"), std::string::npos) << gc_live.out;
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_NE(leftovers_now(), "");  // the launcher could not clean up: two containers, the sidecar's network
    auto gc = run({"gc"});
    EXPECT_EQ(gc.code, 0) << gc.err;
    EXPECT_NE(gc.out.find("removed docker container"), std::string::npos) << gc.out;
    EXPECT_NE(gc.out.find("removed docker network"), std::string::npos) << gc.out;
    EXPECT_EQ(leftovers(), "");
}

TEST_F(DockerLifecycle, StopEndsARunningBottle) {
    const pid_t pid = start({"--backend", "docker", "--image", "bbtest:latest", "--", "sleep", "60"});
    ASSERT_GT(pid, 0);
    std::string id;
    for (int i = 0; i < 100 && id.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        auto ls = run({"ls"});
        const auto at = ls.out.find("bb-");
        if (at != std::string::npos) id = ls.out.substr(at, 15);
    }
    ASSERT_FALSE(id.empty());
    auto stop = run({"stop", id});
    EXPECT_EQ(stop.code, 0) << stop.err;
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM) << status;
    EXPECT_EQ(leftovers(), "");
}

TEST_F(DockerLifecycle, FailuresTearDownWhatWasMade) {
    auto missing = run({"--backend", "docker", "--image", "no-such-image:1", "--", "true"});
    EXPECT_EQ(missing.code, 125);
    EXPECT_NE(missing.err.find("never pulls"), std::string::npos) << missing.err;
    for (const char* step : {"docker-ready", "docker-agent", "docker-start"}) {
        bottle::os::spawn_request r;
        r.argv = {bottle_run};
        auto args = routed({"true"});
        r.argv.insert(r.argv.end(), args.begin(), args.end());
        r.env = env();
        r.env->push_back(std::string("BOTTLE_RUN_FAULT=") + step);
        r.timeout = std::chrono::seconds(60);
        auto o = bottle::os::spawn(r);
        ASSERT_TRUE(o);
        EXPECT_EQ(o->exit_code, 125) << step << ": " << o->err;
        EXPECT_EQ(leftovers(), "") << step;
    }
    auto gvisor = run({"--backend", "docker", "--image", "bbtest:latest", "--require-gvisor", "--", "true"});
    EXPECT_EQ(gvisor.code, 125);  // this daemon has no runsc registered
    EXPECT_NE(gvisor.err.find("runsc"), std::string::npos) << gvisor.err;
    auto notfound = run({"--backend", "docker", "--image", "bbtest:latest", "--", "/no/such/program"});
    EXPECT_EQ(notfound.code, 127) << notfound.err;
    EXPECT_EQ(leftovers(), "");
}

/// bottle-run on a terminal of its own (a pty the test holds, 33 rows by
/// 101 columns): the agent gets a terminal of that size from its first
/// instruction, and nothing but the agent's bytes comes back, even with an
/// end of file typed before the bottle was up.
TEST_F(DockerLifecycle, InteractiveTerminalHasTheUsersSizeAndNoStrayBytes) {
    const std::vector<std::string> cmd{"sh", "-c", "stty size; echo done"};
    std::vector<std::vector<std::string>> launches{{"--backend", "docker", "--image", "bbtest:latest", "--"}};
    launches.front().insert(launches.front().end(), cmd.begin(), cmd.end());
    if (sidecar_built_) launches.push_back(routed(cmd));  // the size is then the go, after the sidecar's ready line
    for (const auto& args : launches) {
        const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        ASSERT_GE(master, 0);
        ASSERT_EQ(::grantpt(master), 0);
        ASSERT_EQ(::unlockpt(master), 0);
        const std::string slave_name = ::ptsname(master);
        winsize ws{};
        ws.ws_row = 33;
        ws.ws_col = 101;
        std::vector<std::string> all{bottle_run};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<std::string> e = env();
        auto argv = c_strings(all), envp = c_strings(e);
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::setsid();
            const int slave = ::open(slave_name.c_str(), O_RDWR);
            if (slave < 0) _exit(126);
            ::ioctl(slave, TIOCSCTTY, 0);
            ::ioctl(slave, TIOCSWINSZ, &ws);
            for (int fd = 0; fd < 3; ++fd) ::dup2(slave, fd);
            ::execve(argv[0], argv.data(), envp.data());
            _exit(127);
        }
        ASSERT_GT(pid, 0);
        // An end of file typed ahead, as script(1) sends when its input ends:
        // pending in canonical mode, it must not reach the agent as a NUL
        // once bottle-run puts the terminal in raw mode.
        ASSERT_EQ(::write(master, "\x04", 1), 1);
        std::string got;
        int status = -1;
        bool reaped = false;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{master, POLLIN, 0};
            if (::poll(&p, 1, 200) <= 0) {
                if (::waitpid(pid, &status, WNOHANG) == pid) {
                    reaped = true;
                    break;
                }
                continue;
            }
            char buf[4096];
            const ssize_t n = ::read(master, buf, sizeof buf);
            if (n <= 0) break;  // EIO: the last holder of the slave closed it
            got.append(buf, static_cast<std::size_t>(n));
        }
        if (!reaped) ::waitpid(pid, &status, 0);
        ::close(master);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << " " << got;
        EXPECT_NE(got.find("33 101"), std::string::npos) << got;
        EXPECT_NE(got.find("done"), std::string::npos) << got;
        EXPECT_EQ(got.find('\0'), std::string::npos) << "a NUL byte in: " << got;
        EXPECT_EQ(got.find("^@"), std::string::npos) << "an echoed NUL in: " << got;
        EXPECT_EQ(leftovers(), "");
    }
}

}  // namespace
