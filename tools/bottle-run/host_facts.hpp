// tools/bottle-run/host_facts.hpp — what this host offers a bottle.
//
// The plan (backends/native/plan.hpp) is a pure function of the resolved
// bottle, the launch request and these facts, so tests build facts by hand;
// `probe_host_facts` reads them from the machine once per launch. Each fact
// says what was found and, when a protection is missing, why.
#pragma once

#include "bottle/result.hpp"

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bottle::run {

enum class cgroup_version { none, v1, v2 };

struct host_facts {
    uid_t euid = 0;
    gid_t egid = 0;
    std::optional<uid_t> sudo_uid{};        ///< SUDO_UID of a root launch, when set and numeric
    std::optional<gid_t> sudo_gid{};
    int landlock_abi = 0;                   ///< 0: Landlock unavailable
    std::string landlock_why{};             ///< why 0 (errno text), empty otherwise
    cgroup_version cgroups = cgroup_version::none;
    std::string cgroup_root{};              ///< /sys/fs/cgroup or its unified mount
    std::vector<std::string> v1_controllers{};  ///< mounted v1 controllers (cpu, memory, pids, ...)
    bool cgroup_writable = false;           ///< we may create a cgroup for the bottle
    bool userns = false;                    ///< a user namespace could be created just now
    std::string userns_why{};
    bool seccomp = false;                   ///< seccomp filters are supported
    std::string home{};                     ///< the launcher's HOME (for "~" in mounts)
    /// Top-level system entries that are symlinks on the host (merged /usr):
    /// name ("bin", "lib64", ...) -> link text. Absent names are directories
    /// (bound read-only when they exist) or missing.
    std::vector<std::pair<std::string, std::string>> system_links{};
    std::vector<std::string> system_dirs{};  ///< of bin sbin lib lib32 lib64 libx32 opt: real directories
    std::string runtime_dir{};              ///< where bottle state lives
};

/// Reads the facts from this machine. Never fails: a probe that cannot run
/// records the protection as missing, with the reason. `try_userns` forks a
/// child that creates a user namespace (explain wants it; a launch does not:
/// its own clone says the same, and faster).
[[nodiscard]] host_facts probe_host_facts(bool try_userns = true);

/// $XDG_RUNTIME_DIR/bot-bottle when set and absolute, else /run/bot-bottle.
[[nodiscard]] std::string state_directory();

}  // namespace bottle::run
