// tools/bottle-run/backends/native/launch.hpp — the launch spine.
//
// Applies a native_plan step by step (nsjail's containProc): cgroup, clone
// into new namespaces, id maps, hostname and `lo`, the proxy's listener and
// bottle-egress, the filesystem, then PID 1 and the agent. Each launcher-side
// step owns what it built (RAII), so a failure anywhere unwinds everything
// and the launch exits 125 with the step, the reason and a remedy.
#pragma once

#include "bottle-run/backends/native/plan.hpp"
#include "bottle-run/host_facts.hpp"

#include <ostream>

namespace bottle::run::native {

/// Runs the plan to completion and returns the exit status bottle-run exits
/// with: the agent's, 126/127 (cannot run / not found), 128+N when signal N
/// ended it, 125 when a launch step failed (reported on `err`).
///
/// Fault injection for tests: BOTTLE_RUN_FAULT=<step> makes that step fail
/// (cgroup, clone, maps, hostname, loopback, listener, proxy, filesystem,
/// state); it can only make a launch fail, never weaken one.
[[nodiscard]] int launch(const native_plan& plan, const host_facts& facts, std::ostream& err);

}  // namespace bottle::run::native
