// escape-tests/runner/lab_session.hpp — one lab, owned from its first
// directory to its last namespace.
//
// build() makes the run directory (owner pid first, so `gc` can always tell
// whose it is), plants the secrets, the tool mount points and the profile's
// files, then the network and the world sinks. run_host() forks the lab host
// and waits for it, in a cgroup of its own where the machine allows
// (lab/lab_cgroup.hpp). The destructor (or teardown()) kills every process in
// the lab's cgroup, the lab and the world, deletes the namespaces and removes the run
// directory unless kept, whatever step failed or was interrupted.
#pragma once

#include "../lab/lab_cgroup.hpp"
#include "../lab/lab_user.hpp"
#include "../lab/network.hpp"
#include "../lab/run_paths.hpp"
#include "../lab/sinks.hpp"
#include "prepare.hpp"

#include <atomic>
#include <functional>
#include <string>

namespace bottle::escape {

class lab_session {
public:
    lab_session(lab::run_paths paths, std::string network_id, bool keep);
    lab_session(const lab_session&) = delete;
    lab_session& operator=(const lab_session&) = delete;
    ~lab_session() { teardown(); }

    /// Run directory, secrets, the lab user (its passwd/group copies; the
    /// planted home and the workspace given to it), mount points, profile
    /// files, network, world sinks. Returns the planted tokens.
    [[nodiscard]] result<lab::token_map> build(const prepared_run& run);

    /// The lab's unprivileged user (valid after build()).
    [[nodiscard]] const lab::lab_user& user() const noexcept { return user_; }

    /// Runs the lab host to its end. `on_poll` is called about every 100 ms
    /// (progress). When `stop` becomes true the lab's processes are killed
    /// and the result is an error ("interrupted").
    [[nodiscard]] result<void> run_host(const lab::host_plan& plan, const std::function<void()>& on_poll,
                                        const std::atomic<bool>& stop);

    /// Lets the world sinks log what is still in flight, then stops them.
    void stop_world();

    /// Everything down, in reverse order of build(). Idempotent.
    void teardown() noexcept;

    [[nodiscard]] const lab::run_paths& paths() const noexcept { return paths_; }

private:
    [[nodiscard]] result<void> make_lab_user();

    lab::run_paths paths_;
    lab::lab_user user_;
    bool keep_;
    bool made_root_ = false;
    lab::network_lab net_;
    lab::lab_cgroup cgroup_;  // the lab host's own, where the machine allows
    int world_log_ = -1;
    lab::sink_process world_;
};

}  // namespace bottle::escape
