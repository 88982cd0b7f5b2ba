// tools/bottle-run/backends/native/steps.hpp — the kernel steps of a launch.
//
// One file per concern, in the order the spine (launch.cpp) applies them.
// Each step returns result<void> with a message naming the step; steps that
// run in the bottle's child process never allocate after the agent's fork
// beyond what they report.
#pragma once

#include "bottle-run/backends/native/plan.hpp"

#include "bottle/os/unique_fd.hpp"
#include "bottle/result.hpp"

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

namespace bottle::run::native {

// user.cpp — run by the launcher for the child, then by the agent itself.
/// Writes setgroups, uid_map and gid_map of `child` (the launcher side).
[[nodiscard]] result<void> write_id_maps(pid_t child, const native_plan& plan);
/// In the child, once mapped: the agent's uid/gid (and no supplementary
/// groups after a root launch), keeping its capabilities over the namespace.
[[nodiscard]] result<void> take_agent_ids(const native_plan& plan);
/// In the agent, before exec: supplementary groups, gid, uid, every
/// capability set emptied (bounding, ambient, effective, permitted,
/// inheritable), no_new_privs; then verified.
[[nodiscard]] result<void> become_agent(const native_plan& plan);

// net.cpp — in the child, inside the bottle's network namespace.
[[nodiscard]] result<void> bring_up_loopback();
/// A listening TCP socket on the bottle's 127.0.0.1, port chosen by the kernel.
[[nodiscard]] result<os::unique_fd> make_proxy_listener(std::uint16_t& port);

// mount.cpp — in the child, in its own mount namespace: builds the new root
// from the plan's mount list and pivots into it; the host's tree is gone.
[[nodiscard]] result<void> build_filesystem(const native_plan& plan);

// seccomp.cpp — in the agent, last before exec.
[[nodiscard]] result<void> apply_seccomp(const std::vector<seccomp_rule>& rules);

// landlock.cpp — in the agent, after no_new_privs.
[[nodiscard]] result<void> apply_landlock(const landlock_plan& plan);

// cgroup.cpp — the launcher side: a cgroup per bottle (v2 or v1), removed at
// teardown; rlimits as the last resort, in the agent.
class bottle_cgroup {
public:
    bottle_cgroup() = default;
    bottle_cgroup(bottle_cgroup&& o) noexcept : dirs_(std::move(o.dirs_)), v2_(o.v2_) { o.dirs_.clear(); }
    bottle_cgroup& operator=(bottle_cgroup&&) = delete;
    bottle_cgroup(const bottle_cgroup&) = delete;
    bottle_cgroup& operator=(const bottle_cgroup&) = delete;
    ~bottle_cgroup() { remove(); }
    /// Creates the cgroup(s) with the plan's limits. none/rlimit: nothing.
    [[nodiscard]] static result<bottle_cgroup> create(const native_plan& plan);
    /// Moves `pid` (the bottle's init, before it forks) in.
    [[nodiscard]] result<void> add(pid_t pid);
    /// Kills whatever is left in it and removes it (idempotent).
    void remove() noexcept;
    [[nodiscard]] const std::vector<std::string>& dirs() const noexcept { return dirs_; }

private:
    std::vector<std::string> dirs_;
    bool v2_ = false;
};
[[nodiscard]] result<void> apply_rlimits(const limits_plan& limits);
/// `parent`/`id` (the parent shared by every bottle, created if absent), with
/// `on_parent` run on the parent each time it is (re)made. Another bottle's
/// teardown may remove the parent between the two mkdirs: then both are made
/// again (a few times), so a launch never fails on that race and no lock is
/// needed. Errors: permission_denied (mkdir), io_error (the race kept being
/// lost).
[[nodiscard]] result<std::string> make_bottle_cgroup_dir(const std::string& parent, const std::string& id,
                                                         const std::function<void(const std::string&)>& on_parent);
/// Removes a bottle's (empty) cgroup `dir`, then its parent if that is
/// empty too; a parent still holding another bottle's cgroup stays (rmdir
/// refuses it: EBUSY, ENOTEMPTY). Teardown and gc use it.
void remove_bottle_cgroup_dir(const std::string& dir) noexcept;

// env.cpp — the agent's exec: argv[0] looked up on the plan's PATH (not the
// launcher's), the plan's environment only. Returns only on failure, with
// 126 (cannot run) or 127 (not found) and the reason written to stderr.
[[nodiscard]] int exec_agent(const native_plan& plan);

// init.cpp — PID 1 of the bottle: forks the agent (which confines itself
// and execs), forwards signals to it, reaps every child, and exits with
// the agent's status (128+N when a signal N ended it).
/// `tty`: the pty slave that becomes the agent's terminal, or -1 (the
/// agent keeps the launcher's stdio, in a session of its own).
[[noreturn]] void run_init(const native_plan& plan, int report_fd, int tty);

}  // namespace bottle::run::native
