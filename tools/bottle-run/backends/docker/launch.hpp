// tools/bottle-run/backends/docker/launch.hpp — the docker backend's spine.
//
// Asks the daemon what it has (runsc, the networks' subnets) and makes sure
// the sidecar image exists (imported from the static bottle-egress, never
// pulled), at once; plans (plan.hpp); forks the reaper (reaper.hpp); then:
// networks -> sidecar (started, its ready line awaited) while the agent is
// created, attached and started waiting for its go (bottle-agent-start) ->
// the go -> relay its terminal or streams and forward signals -> its exit
// code. The reaper removes both containers and both networks once the
// launcher is gone, on every path out of the launch (exit, signal, failure,
// SIGKILL); if the reaper is killed too, `bottle-run gc` removes what is
// left, labelled (gc.hpp).
#pragma once

#include "bottle-run/backends/native/plan.hpp"

#include "bottle/manifest/bottle_spec.hpp"

#include <map>
#include <optional>
#include <ostream>
#include <string>

namespace bottle::run::docker {

struct launch_options {
    std::string image{};          ///< --image / BOT_BOTTLE_DOCKER_IMAGE
    bool require_gvisor = false;  ///< --require-gvisor / BOT_BOTTLE_REQUIRE_GVISOR=1
    bool dry_run = false;
    std::map<std::string, std::string> env{};  ///< the launcher's: DOCKER_HOST, BOTTLE_EGRESS_STATIC
    std::string home{};
    std::string state_dir{};
};

/// Runs the bottle; returns what bottle-run exits with (the agent's status,
/// 128+N for signal N, 125 when a step failed: the step, the reason and a
/// remedy on `err`). With dry_run prints the plan on `out` and starts nothing.
///
/// Fault injection for tests: BOTTLE_RUN_FAULT=docker-<step> (network,
/// sidecar, ready, agent, start) fails that step after what came before was
/// made, so the test sees the teardown.
[[nodiscard]] int launch(const manifest::bottle_spec& bottle, const native::native_plan& base, const launch_options& options,
                         std::ostream& out, std::ostream& err);

/// "<boot id>/<pid>" of this process: the launcher label.
[[nodiscard]] std::string launcher_label();

/// This boot's id (/proc/sys/kernel/random/boot_id; "unknown" when it
/// cannot be read, as in launcher_label, so gc never takes a live launcher
/// of this boot for one of another).
[[nodiscard]] std::string boot_id();

}  // namespace bottle::run::docker
