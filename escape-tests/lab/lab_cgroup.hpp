// escape-tests/lab/lab_cgroup.hpp — the lab host's own cgroup.
//
// The lab host runs as PID 1's child in its own pid namespace, so whatever
// the sandbox starts dies with the namespace. A process that leaves the
// namespace's reach is still in the cgroup it was forked in, so the lab host
// also gets a cgroup of its own where the machine allows: on cgroup v2 one
// directory with cgroup.kill; on v1 one in the `pids` hierarchy (which lists
// every process, forks included) and, when mounted, one in `freezer` (frozen
// while being killed, so nothing forks away meanwhile). Teardown, and the
// runner's error paths (its destructor), kill every process still in it and
// remove the directories. Containers a daemon moves to cgroups of its own
// leave it; their pid namespace still ends with the lab's.
#pragma once

#include <bottle/result.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace bottle::escape::lab {

class lab_cgroup {
public:
    /// `name` is the directory name in each hierarchy ("bbx-lab-<id>"),
    /// `root` where cgroup file systems are mounted.
    explicit lab_cgroup(std::string name, std::filesystem::path root = "/sys/fs/cgroup");
    lab_cgroup(const lab_cgroup&) = delete;
    lab_cgroup& operator=(const lab_cgroup&) = delete;
    ~lab_cgroup() { destroy(); }

    /// Makes the directories. An error when the machine has no usable
    /// cgroup file system (the caller goes on without one and says so).
    result<void> create();
    /// Takes over the directories of this name that exist (gc: a killed
    /// run's), so destroy() empties and removes them. False when none does.
    bool adopt();
    /// Moves `pid` (0: the caller) into every directory made.
    result<void> add(int pid) const;
    /// Every process still in it killed (frozen first on v1), the
    /// directories removed. Idempotent.
    void destroy() noexcept;
    /// Pids in it now (the pids or unified directory).
    [[nodiscard]] std::vector<int> members() const;
    [[nodiscard]] bool made() const noexcept { return !dirs_.empty(); }
    [[nodiscard]] const std::vector<std::filesystem::path>& dirs() const noexcept { return dirs_; }

private:
    std::string name_;
    std::filesystem::path root_;
    std::vector<std::filesystem::path> dirs_;  // [0] lists the members; freezer, if any, is last
    bool v2_ = false;
    bool freezer_ = false;
};

}  // namespace bottle::escape::lab
