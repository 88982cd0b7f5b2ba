// tools/bottle-run/backends/docker/reaper.hpp — the docker bottle's
// teardown, in a process of its own that outlives the launcher.
//
// Why a process: removing the containers and the networks is the daemon's
// slowest work (killing, unmounting, unplugging veths, iptables: 200-500 ms),
// and none of it changes the exit status the user waits for. And a launcher
// killed with SIGKILL cannot tear anything down itself, so its agent ran on
// until `gc`. The reaper is forked before anything is made, in a session of
// its own, with nothing open but its end of a pipe (and /dev/null as stdio,
// so nobody reading the launcher's output waits for it). It waits for that
// pipe to close — the launcher returning, failing or being killed, all
// alike — then removes, on the daemon of the launch:
//   1. the bottle's containers, all at once, forced (a running agent dies),
//   2. its networks, all at once,
//   3. anything else still labelled with the bottle's id (a create that was
//      in flight when the launcher died), containers then networks,
//   4. the sidecar's host files (its socket's directory, a pooled entry's
//      files), then the protected workspace directories the launch created
//      (only when no other launch shares the workspace: protected_dirs.hpp;
//      the reaper holds its own shared lock on it from its start),
//   5. and, when the bottle had routes and the pool is on, tops the pool
//      up (pool.hpp) for the next launch.
// If the reaper itself is killed, what is left is labelled and `bottle-run
// gc` removes it.
#pragma once

#include "bottle-run/backends/docker/engine.hpp"
#include "bottle-run/backends/docker/pool.hpp"

#include "bottle/os/unique_fd.hpp"
#include "bottle/result.hpp"

#include <optional>
#include <string>
#include <vector>

namespace bottle::run::docker {

struct reap_list {
    std::string bottle_id{};
    std::vector<std::string> containers{};  ///< names, removed forced
    std::vector<std::string> networks{};    ///< names, removed after the containers
    std::string workspace{};                ///< its protected directories' lock (empty: none)
    std::vector<std::string> created_dirs{};  ///< protected directories the launch made, parents first
    std::vector<std::string> files{};  ///< the sidecar's host files and directories (its socket's), removed after the containers
    std::optional<pool_fill> refill{};  ///< then the pool is topped up (pool.hpp)
};

class docker_reaper {
public:
    /// Forks the reaper and waits (up to 5 s) until it holds the workspace
    /// lock: from then on the launcher's own lock is no longer needed for the
    /// directories to outlive the containers. Call it with no other thread
    /// running. Errors: io_error (pipe,
    /// fork, or the reaper did not report in).
    [[nodiscard]] static result<docker_reaper> start(const endpoint& daemon, const reap_list& what);

    docker_reaper(docker_reaper&&) noexcept = default;
    docker_reaper& operator=(docker_reaper&&) noexcept = default;
    docker_reaper(const docker_reaper&) = delete;
    docker_reaper& operator=(const docker_reaper&) = delete;
    ~docker_reaper() = default;  // closing the pipe starts the teardown

    /// Starts the teardown now (closes the pipe) and does not wait for it.
    void release() noexcept { pipe_.reset(); }

    [[nodiscard]] int pid() const noexcept { return pid_; }

private:
    docker_reaper(os::unique_fd pipe, int pid) : pipe_(std::move(pipe)), pid_(pid) {}
    os::unique_fd pipe_{};
    int pid_ = -1;
};

/// Removes everything named in `what` and anything labelled with its bottle
/// id, in the order above (without the directories); what the reaper runs,
/// also callable in-process. Never fails: what cannot be removed stays for gc.
void remove_bottle(const engine& e, const reap_list& what);

}  // namespace bottle::run::docker
