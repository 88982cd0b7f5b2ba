// escape-tests/lab/run_paths.hpp — one run's directory, outside the lab's
// mount namespace, and the canary tokens planted in it.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace bottle::escape::lab {

/// The run's directory layout: /var/lib/bottle-escape/run-<nonce>/.
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
    [[nodiscard]] std::filesystem::path owner() const { return root / "owner.pid"; }   // the runner's pid (gc)
    [[nodiscard]] std::filesystem::path handle_target() const { return root / "handle-target"; }  // fs.open_by_handle's prey
    [[nodiscard]] std::filesystem::path passwd() const { return root / "etc" / "passwd"; }  // -> /etc/passwd (lab_user.hpp)
    [[nodiscard]] std::filesystem::path group() const { return root / "etc" / "group"; }    // -> /etc/group
};

/// Canary tokens of one run: name -> token text. Names: ssh_key, ssh_config,
/// aws, netrc, git_credentials, docker_config, kube_config, gh_hosts,
/// claude_credentials, codex_auth, gcloud, env_BBX_CANARY_TOKEN,
/// env_AWS_SECRET_ACCESS_KEY, env_GITHUB_TOKEN, process_memory, sysv_shm,
/// sysv_msg, handle_target.
using token_map = std::map<std::string, std::string>;

}  // namespace bottle::escape::lab
