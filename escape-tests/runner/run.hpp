// escape-tests/runner/run.hpp — one run of the probe suite in one sandbox.
#pragma once

#include "profile.hpp"
#include "score.hpp"

#include "bottle/result.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace bottle::escape {

/// The per-probe deadline when neither --timeout-ms nor the profile names one.
inline constexpr int default_probe_timeout_ms = 3000;

struct run_options {
    std::string sandbox;                       ///< profile name
    std::vector<std::string> custom_prefix;    ///< for --sandbox custom
    std::vector<std::string> only;             ///< probe id globs
    std::filesystem::path probe_binary;        ///< bottle-probe
    std::filesystem::path profiles_dir;
    std::filesystem::path node_bin;            ///< node_modules/.bin of the peers
    std::filesystem::path work_root = "/var/lib/bottle-escape";
    int probe_timeout_ms = 0;                  ///< --timeout-ms; 0: the profile's probe_timeout_ms, else 3000
    int probe_jobs = 0;                        ///< --jobs; 0: the profile's probe_jobs, else 1
    bool keep = false;                         ///< keep the run directory (for debugging)
    bool progress = false;                     ///< print one line per probe on stderr as it finishes
};

struct run_result {
    std::string profile;
    std::string description;
    std::string version;                       ///< the profile's version output (first line)
    bool allows_upstream = false;
    std::string run_as;                        ///< who ran the sandbox: "bbx-lab" (the lab user) or "root"
    long uid = -1;                             ///< its uid (-1: the sandbox never ran)
    std::string nonce;
    long duration_ms = 0;
    int probe_timeout_ms = 0;                  ///< the per-probe deadline the probes ran with (0: not known)
    int probe_jobs = 0;                        ///< network-bound probes run side by side (0: not known)
    /// Success, or why the run could not be completed (every probe without
    /// evidence is then ERROR). Fails until the run says otherwise.
    result<void> completion = make_error(errc::internal, "the run did not finish");
    std::vector<probe_verdict> verdicts;

    [[nodiscard]] bool completed() const noexcept { return completion.has_value(); }
    /// "" when completed, else the error's message.
    [[nodiscard]] std::string error_message() const { return completed() ? std::string() : completion.error().message; }
};

/// Builds the lab, runs the probes through the profile, scores, tears down
/// (runner/run.cpp reads as those four steps). Never throws; a lab or
/// profile failure is reported in `completion` and every probe without
/// evidence is ERROR. Requires root.
[[nodiscard]] run_result run_sandbox(const run_options& options);

/// Lists the probes the binary carries (`bottle-probe list --json`).
[[nodiscard]] result<std::vector<probe_meta>> list_probes(const std::filesystem::path& probe_binary);

/// Removes leftovers of killed runs: lab namespaces and run directories whose
/// owner process is gone. Returns what it removed, one line each.
std::vector<std::string> collect_garbage(const std::filesystem::path& work_root);

/// Set by SIGINT/SIGTERM handlers: the run stops and tears down.
void request_stop() noexcept;

}  // namespace bottle::escape
