// escape-tests/runner/prepare.hpp — the first step of a run: everything that
// is decided before any of the lab exists (which probes, which profile, its
// programs present, root, where the run directory goes, how placeholders
// expand inside and outside the lab). Nothing here creates anything.
#pragma once

#include "../lab/host.hpp"
#include "../lab/run_paths.hpp"
#include "../lab/tools.hpp"
#include "profile.hpp"
#include "run.hpp"

#include <string>
#include <vector>

namespace bottle::escape {

/// The probes of the binary whose id matches one of `only` (all when empty).
[[nodiscard]] result<std::vector<probe_meta>> select_probes(const std::filesystem::path& probe_binary,
                                                            const std::vector<std::string>& only);

struct prepared_run {
    profile prof;
    lab::run_paths paths;
    lab::staged_tools tools;
    expansion outside;  ///< placeholders for commands the runner runs (version)
    expansion inside;   ///< placeholders for commands the lab host runs
    int probe_timeout_ms = default_probe_timeout_ms;  ///< --timeout-ms, else the profile's, else the default
    int probe_jobs = 1;                               ///< --jobs, else the profile's, else 1
};

/// Loads the profile, checks its programs and root, plans the run directory
/// and the tool staging, resolves {bin:NAME} on the runner's PATH (a program
/// hidden in the lab, under /tmp or /home, is bound into tools/bin/), and
/// settles the per-probe deadline and width. Fills res.description,
/// allows_upstream, version, probe_timeout_ms and probe_jobs.
[[nodiscard]] result<prepared_run> prepare_run(const run_options& opt, run_result& res);

/// The lab host's plan for a prepared run, once the tokens are planted: the
/// sandbox's environment (lab HOME, agent/bus sockets, canary tokens, the
/// profile's env) and deadline (`probe_count` probes).
/// `handle_target` ("TYPE:HEX", may be empty) goes to the probe and to the
/// machine facts. The sandbox runs as `user` unless the profile runs as root.
[[nodiscard]] lab::host_plan make_host_plan(const prepared_run& run, const lab::token_map& tokens,
                                            std::size_t probe_count, const std::string& handle_target,
                                            const lab::lab_user& user);

/// Files the profile asks for, written into the state directory.
[[nodiscard]] result<void> write_profile_files(const prepared_run& run);

}  // namespace bottle::escape
