// tools/bottle-run/backends/smolmachines/launch.hpp — the smolvm spine.
//
// preflight (smolvm on PATH, /dev/kvm read-write, its version, bottle-egress)
// -> alias (host_pool) -> stage files and state -> bundle up on alias:3128
// -> `smolvm machine create` -> force the allowlist (the alias /32) into the
// state database and confirm it (policy::allowlist_verifier::enforce over
// smolvm::sqlite_allowlist_store; fail closed: no confirmation, no start)
// -> `machine start` -> verify again -> `machine exec` the agent (stdio and
// terminal passed through, exit code passed back, signals forwarded)
// -> teardown: stop + delete the machine, stop the bundle, release the alias,
// remove state — on every exit path and on SIGINT/SIGTERM/SIGHUP/SIGQUIT.
//
// Environment read (all optional): BOTTLE_SMOLVM_IMAGE, BOTTLE_SMOLVM_FROM
// (the machine's image or .smolmachine artifact); test seams that can only
// make a launch fail sooner, never weaker: BOTTLE_SMOLVM_STEP_TIMEOUT_S
// (create/start deadline, default 600/120 s), BOTTLE_SMOLVM_BUSY_TIMEOUT_MS
// (SQLite busy timeout, default 15000), BOTTLE_SMOLVM_KVM (the device
// checked, default /dev/kvm).
#pragma once

#include "bottle-run/backends/native/plan.hpp"

#include "bottle/manifest/bottle_spec.hpp"

#include <ostream>
#include <set>
#include <string>

namespace bottle::run::smolmachines {

/// Runs `request` (argv, workspace, launcher_env, bottle_id, interactive,
/// credential_env are used) in a smolvm micro-VM; returns bottle-run's exit
/// status: the agent's, 128+N when signal N ended it, 125 when a step failed
/// (the step, the reason and a remedy on `err`; nothing left running or
/// allocated). With `dry_run`, prints the plan as JSON and starts nothing.
[[nodiscard]] int run(const manifest::bottle_spec& bottle, const native::launch_request& request, bool dry_run, std::ostream& out,
                      std::ostream& err);

/// gc: for each smolvm bottle whose launcher is gone (its id not in `live`):
/// `smolvm machine delete -f`, its stage directory, and every alias record
/// not held by a live bottle. Returns how many bottles it cleaned.
int collect_leftovers(const std::string& state_dir, const std::set<std::string>& live, std::ostream& err);

}  // namespace bottle::run::smolmachines
