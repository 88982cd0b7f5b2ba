// escape-tests/lab/lab.hpp — the sealed lab: namespaces, planted secrets, and
// the lab host that launches the sandbox under test.
//
// Built top to bottom in this order (and torn down in reverse, also on
// failure and on SIGINT/SIGTERM):
//   1. run directory  /var/lib/bottle-escape/run-<nonce>/ {run,home,tmp,vartmp,
//      workspace,logs,state}; canary tokens planted in home/ and the env.
//   2. network: namespaces bbx-<id>-lab and bbx-<id>-world joined by one veth
//      pair and nothing else — no interface of the real network is ever moved
//      or linked, so no packet can leave the machine. The lab's default
//      routes lead to the world, where every sink range is local (AnyIP).
//   3. world sinks (a process in the world namespace).
//   4. the lab host (a process in the lab network namespace and in its own
//      mount, IPC and UTS namespaces): /run, /root, /tmp, /var/tmp and
//      /etc/resolv.conf replaced by lab copies; host services, SysV objects
//      and the canary process started; the profile's setup, the sandbox
//      command, the profile's teardown; orphans recorded and killed.
#pragma once

#include "bottle/result.hpp"
#include "tools.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace bottle::escape::lab {

/// The run's directory layout (outside the lab's mount namespace).
struct run_paths {
    std::filesystem::path root;
    [[nodiscard]] std::filesystem::path run() const { return root / "run"; }           // -> /run
    [[nodiscard]] std::filesystem::path home() const { return root / "home"; }         // -> /root
    [[nodiscard]] std::filesystem::path tmp() const { return root / "tmp"; }           // -> /tmp
    [[nodiscard]] std::filesystem::path vartmp() const { return root / "vartmp"; }     // -> /var/tmp
    [[nodiscard]] std::filesystem::path workspace() const { return root / "workspace"; }
    [[nodiscard]] std::filesystem::path logs() const { return root / "logs"; }         // never visible as lab paths
    [[nodiscard]] std::filesystem::path state() const { return root / "state"; }       // profiles' private state
    [[nodiscard]] std::filesystem::path tools() const { return root / "tools"; }       // bottle-probe, profiles (tools.hpp)
    [[nodiscard]] std::filesystem::path resolv() const { return root / "resolv.conf"; }
};

/// Canary tokens of one run: name -> token text. Names: ssh_key, aws, netrc,
/// git_credentials, docker_config, kube_config, gh_hosts, claude_credentials,
/// codex_auth, gcloud, env_BBX_CANARY_TOKEN, env_AWS_SECRET_ACCESS_KEY,
/// env_GITHUB_TOKEN, process_memory, sysv_shm, sysv_msg.
using token_map = std::map<std::string, std::string>;

/// Creates the run directory, plants the fake home and the lab resolv.conf.
/// Returns the tokens; fails naming the path it could not create or write.
[[nodiscard]] result<token_map> plant(const run_paths& paths, const std::string& nonce);

/// The two namespaces and their link. Destroys them in its destructor.
class network_lab {
public:
    explicit network_lab(std::string id) : id_(std::move(id)) {}
    network_lab(const network_lab&) = delete;
    network_lab& operator=(const network_lab&) = delete;
    ~network_lab() { destroy(); }

    /// Creates and configures both namespaces, then checks the seal. On any
    /// failure, what was already made is destroyed and the error names the
    /// step.
    [[nodiscard]] result<void> create();
    void destroy();

    [[nodiscard]] std::string lab_ns() const { return "bbx-" + id_ + "-lab"; }
    [[nodiscard]] std::string world_ns() const { return "bbx-" + id_ + "-world"; }
    [[nodiscard]] std::string lab_if() const { return "bbxl" + id_; }
    [[nodiscard]] std::string world_if() const { return "bbxw" + id_; }

private:
    std::string id_;
    bool made_lab_ = false;
    bool made_world_ = false;
};

/// Enters the named network namespace (/run/netns/NAME). False + errno on failure.
[[nodiscard]] bool enter_netns(const std::string& name);

/// Everything the lab host needs to run one sandbox.
struct host_plan {
    run_paths paths;
    std::string nonce;
    token_map tokens;
    std::vector<std::string> setup;     ///< profile setup argv (may be empty)
    std::vector<std::string> command;   ///< the sandbox command running bottle-probe
    std::vector<std::string> teardown;  ///< profile teardown argv (may be empty)
    std::vector<std::string> env;       ///< the sandbox's environment (KEY=VALUE)
    std::vector<lab_bind> tool_binds;   ///< the harness's programs, bound under paths.tools()
    int timeout_ms = 240000;            ///< the whole sandbox run
    int setup_timeout_ms = 120000;
};

/// Body of the lab-host process (already inside the lab network namespace):
/// makes the mount/IPC/UTS namespaces, starts host services, SysV objects and
/// the canary, runs setup -> command -> teardown, records orphans. Writes
/// logs/host.jsonl, canary.jsonl, probe.jsonl, sandbox.stderr, setup.log,
/// orphans.jsonl, host-status.json. Returns the process exit code.
int run_lab_host(const host_plan& plan);

/// Body of the canary process (`bottle-escape lab-canary TOKEN RUNBBX LOGFD`).
int run_canary(const std::string& token, const std::string& run_bbx_dir, int log_fd);

}  // namespace bottle::escape::lab
