// tools/bottle-preflight/checks_native.hpp — prerequisites of the native backend.
//
// The native backend builds a bottle from bubblewrap namespaces, seccomp,
// Landlock and cgroup limits (ARCHITECTURE.md). Each check reads what the
// kernel exposes through system_probes and reports ok / warn / fail with the
// remedy. Ids: native.userns, native.apparmor_userns, native.bwrap,
// native.seccomp, native.landlock, native.cgroup_pids, native.cgroup_memory.
#pragma once

#include "check_support.hpp"
#include "system_probes.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace bottle::preflight {

inline constexpr const char* native_category = "native";

/// native.userns — user namespaces are enabled and allowed for this user.
[[nodiscard]] check_result check_userns(system_probes& p);

/// native.apparmor_userns — Ubuntu's AppArmor restriction on unprivileged
/// user namespaces (kernel.apparmor_restrict_unprivileged_userns).
[[nodiscard]] check_result check_apparmor_userns(system_probes& p);

/// native.bwrap — bubblewrap on PATH, and its version runs.
[[nodiscard]] check_result check_bwrap(system_probes& p);

/// native.seccomp — the kernel supports seccomp filters with the actions we use.
[[nodiscard]] check_result check_seccomp(system_probes& p);

/// native.landlock — the Landlock ABI version (4+ adds TCP connect rules).
[[nodiscard]] check_result check_landlock(system_probes& p);

namespace detail {

/// "\040"-style octal escapes of /proc/self/mounts undone.
std::string unescape_mount_field(std::string_view s);

bool has_word(std::string_view list, std::string_view word, char sep);

}  // namespace detail

/// native.cgroup_<controller> — a cgroup hierarchy offers `controller`
/// ("pids" or "memory"): a v1 hierarchy mounted with it, or a v2 hierarchy
/// whose cgroup.controllers lists it. /proc/cgroups explains a failure.
[[nodiscard]] check_result check_cgroup_controller(system_probes& p, const std::string& controller);

/// Every native check, in a stable order.
[[nodiscard]] std::vector<check_result> native_checks(system_probes& p);

}  // namespace bottle::preflight
