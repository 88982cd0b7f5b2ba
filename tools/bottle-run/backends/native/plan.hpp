// tools/bottle-run/backends/native/plan.hpp — the native bottle, as data.
//
// `plan_for(bottle, request, facts)` decides everything the launch spine
// (launch.hpp) will do: namespaces, uid/gid maps, the mount list in the order
// it is built, the agent's whole environment, the seccomp rules, the Landlock
// rules and the resource limits. It touches no OS, so each decision is
// unit-tested; the spine only applies it. `to_json` is what `--dry-run`
// prints.
#pragma once

#include "bottle-run/egress_routes.hpp"
#include "bottle-run/host_facts.hpp"

#include "bottle/manifest/bottle_spec.hpp"
#include "bottle/result.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bottle::run::native {

/// Where the agent lives inside every bottle.
inline constexpr const char* workspace_path = "/workspace";
inline constexpr const char* home_path = "/home/agent";
/// The uid a root launch uses when no unprivileged owner can be found.
inline constexpr uid_t fallback_uid = 65534;
/// The bottle's scratch space (/tmp and HOME together) when the bottle's
/// `resources` set no `disk_mib`: enough for package caches, far below the
/// tmpfs default of half the host's RAM.
inline constexpr std::uint32_t default_disk_mib = 512;

struct launch_request {
    std::vector<std::string> argv{};          ///< the agent's command, never empty
    std::optional<std::string> workspace{};   ///< host directory bound rw at /workspace
    uid_t workspace_uid = 0, workspace_gid = 0;  ///< its owner (stat by the caller)
    std::map<std::string, std::string> launcher_env{};  ///< for PATH/TERM/LANG only
    std::string bottle_id{};                  ///< unique per launch; the hostname
    bool interactive = false;                 ///< stdin is a terminal: give a pty
    std::optional<std::uint16_t> proxy_port{};  ///< known only after the listener exists
    std::map<std::string, std::string> credential_env{};  ///< the provider's planned credential variables (secrets)
    std::map<std::string, std::string> credential_files{};  ///< HOME-relative path -> content (a forwarded login; secrets)
};

struct id_map {
    std::uint32_t inside = 0, outside = 0, count = 1;
};

enum class mount_kind {
    bind_ro,     ///< recursive bind, then read-only recursively
    bind_rw,     ///< recursive bind, writable
    tmpfs,       ///< fresh tmpfs with `options`
    proc,        ///< new procfs of the bottle's pid namespace
    dev,         ///< minimal /dev: tmpfs + null zero full random urandom tty, pts, shm
    symlink,     ///< `target` -> `source`
    mask,        ///< hide a /proc entry: /dev/null over a file, empty ro tmpfs over a directory
    read_only,   ///< make an already mounted path read-only (e.g. /proc/sys)
    scratch,     ///< one sized tmpfs outside the bottle's root (`target` in the build tree, gone after the pivot)
    scratch_dir, ///< directory `source` of the scratch tmpfs, created with `options` "mode=NNNN", bound at `target`
    protect,     ///< workspace path `target` (host `source`) made read-only: an existing file or directory is
                 ///< bound read-only onto itself; an absent one is created empty and covered by an empty
                 ///< read-only tmpfs; a symlink is refused (it could be swapped for a real directory)
    pin,         ///< workspace directory `target` (created if absent) bound writable onto itself, so it can
                 ///< be neither renamed nor removed (it holds a `protect`ed path)
};

/// Paths of the workspace the agent must not change, because something on
/// the host later runs what they hold (git, editors, agents, CI): read-only
/// inside the bottle, also when they do not exist yet. See docs/bottle-run.md.
[[nodiscard]] const std::vector<std::string>& protected_workspace_paths();

struct mount_entry {
    mount_kind kind = mount_kind::bind_ro;
    std::string source{};   ///< host path (binds), link text (symlink)
    std::string target{};   ///< path inside the bottle
    std::string options{};  ///< tmpfs data, e.g. "mode=0700,uid=1000,gid=1000"
    bool optional = false;  ///< a missing source is skipped, not an error
};

/// One seccomp rule: the syscall fails with `errno_value` (ENOSYS for clone3
/// so libc falls back to clone, whose flags are checked), optionally only
/// when argument `arg` masked with `mask` equals `value`.
struct seccomp_rule {
    std::string syscall{};
    int errno_value = 1;  // EPERM
    struct arg_compare {
        unsigned arg = 0;
        std::uint64_t mask = 0, value = 0;
        bool masked_nonzero = false;  ///< match when (arg & mask) != 0 instead of == value
    };
    std::optional<arg_compare> when{};
    std::string why{};
};

struct landlock_path_rule {
    std::string path{};
    bool write = false;    ///< read+execute only when false
    bool list_only = false;  ///< only list directories (the root, so `ls /` works)
    bool optional = true;  ///< skip when absent inside the bottle
};

struct landlock_plan {
    int abi = 0;                                  ///< 0: not applied (explain says why)
    std::vector<landlock_path_rule> paths{};
    bool restrict_tcp = false;                    ///< ABI >= 4: connect only to `connect_port`, bind nothing
    std::optional<std::uint16_t> connect_port{};
    bool scope_abstract_unix = false;             ///< ABI >= 6
    bool scope_signal = false;                    ///< ABI >= 6
};

enum class limit_mechanism { none, cgroup_v2, cgroup_v1, rlimit };

struct limits_plan {
    limit_mechanism mechanism = limit_mechanism::none;
    std::optional<std::uint32_t> cpus{}, memory_mib{}, pids{};
    std::uint32_t disk_mib = default_disk_mib;  ///< size of the scratch tmpfs (/tmp and HOME), always set
    bool disk_default = true;                   ///< the bottle set no disk_mib
    std::string why{};
};

struct native_plan {
    std::string bottle_id{}, hostname{};
    std::string bottle_name{};
    std::vector<std::string> lineage{};
    std::string canonical{};                 ///< the resolved bottle's canonical JSON
    std::vector<std::string> namespaces{};   ///< user mount pid net ipc uts cgroup
    uid_t agent_uid = 0;                     ///< host uid == uid inside (identity map)
    gid_t agent_gid = 0;
    std::string identity_why{};              ///< how agent_uid was chosen
    std::vector<id_map> uid_map{}, gid_map{};
    bool deny_setgroups = true;              ///< unprivileged: required to write gid_map
    bool drop_supplementary_groups = false;  ///< root launch: setgroups(0) inside
    std::vector<mount_entry> mounts{};
    std::string workdir{};
    std::vector<std::string> env{};          ///< the agent's environment but its credentials
    /// The credential variables, kept out of `env` so nothing that prints the
    /// plan can show them: exec adds them, to_json names them only.
    std::map<std::string, std::string> credential_env{};
    /// Login files written into the agent's HOME (0600) once its filesystem
    /// is built; to_json names them only.
    std::map<std::string, std::string> credential_files{};
    std::vector<std::string> argv{};
    std::vector<seccomp_rule> seccomp{};
    landlock_plan landlock{};
    limits_plan limits{};
    egress_routes egress{};                  ///< the routes bottle-egress enforces
    bool proxy = false;                      ///< start bottle-egress (the bottle has routes)
    bool interactive = false;
};

/// Builds the plan. Errors: invalid_argument (empty argv, a relative
/// workspace, a mount whose host path is relative after "~" expansion or
/// whose guest path is a system path), unsupported (backend other than
/// native).
[[nodiscard]] result<native_plan> plan_for(const manifest::bottle_spec& bottle, const launch_request& request,
                                           const host_facts& facts);

/// The environment allowlist applied to a request (exposed for tests).
[[nodiscard]] std::vector<std::string> agent_environment(const manifest::bottle_spec& bottle, const launch_request& request,
                                                         const std::string& home);

/// The deny list (exposed for tests and for `explain`).
[[nodiscard]] std::vector<seccomp_rule> seccomp_deny_list();

/// Points the plan at the proxy listening on the bottle's 127.0.0.1:`port`:
/// the proxy variables in the environment and Landlock's one TCP port. Called
/// by the spine once the listener exists (its port is chosen by the kernel).
void use_proxy_port(native_plan& plan, std::uint16_t port);

/// The plan as JSON (what --dry-run prints).
[[nodiscard]] boost::json::value to_json(const native_plan& plan);

[[nodiscard]] const char* to_string(mount_kind k);
[[nodiscard]] const char* to_string(limit_mechanism m);

}  // namespace bottle::run::native
