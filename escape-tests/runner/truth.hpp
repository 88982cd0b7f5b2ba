// escape-tests/runner/truth.hpp — the last step of a run: read what the lab
// recorded (probe lines, sink/canary/orphan events, the lab host's status)
// and look for host-side effects (marker files), so score() can decide.
// Reads only the run directory; never trusts a line it cannot decode (a
// probe without a valid line is ERROR, never BLOCKED).
#pragma once

#include "../lab/run_paths.hpp"
#include "score.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace bottle::escape {

struct collected_run {
    std::vector<probe_report> reports;
    ground_truth truth;
    std::optional<error> host_error;  ///< what the lab host reported as failed
    std::string sandbox_exit;         ///< how the sandbox's main process ended ("" when unknown)
    std::string sandbox_stderr;       ///< its first 2000 bytes
    std::vector<std::string> missing_heartbeats;  ///< "pre world.tcp 203.0.113.10:80": a sink that did not answer
};

/// Reads the logs of `paths` for the run `nonce` whose tokens are `tokens`,
/// and checks the heartbeats (lab/heartbeat.hpp) when the sandbox ran.
[[nodiscard]] collected_run collect_truth(const lab::run_paths& paths, const std::string& nonce, lab::token_map tokens);

/// The probe lines in `probe_log` that decode (for progress while it grows).
[[nodiscard]] std::vector<probe_report> read_probe_lines(const std::filesystem::path& probe_log);

/// Files whose name carries a tag of `nonce`, anywhere under the run
/// directory except logs/ and state/ (what the sandbox could write on the
/// lab host), as "marker" events; and the files of the workspace's git that
/// git itself runs or reads (.git/config, .git/hooks/*) when their content
/// carries a tag.
[[nodiscard]] std::vector<lab_event> find_markers(const lab::run_paths& paths, const std::string& nonce);

}  // namespace bottle::escape
