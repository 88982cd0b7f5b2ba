// escape-tests/runner/profile.hpp — how a sandbox under test is launched.
//
// A profile is a JSON file in escape-tests/profiles/<name>.json:
//   {"name": "bwrap", "description": "...",
//    "requires": ["bwrap"],                 // programs that must exist (PATH or node_modules/.bin)
//    "version": ["bwrap", "--version"],     // printed in every scorecard
//    "allows_upstream": false,              // does it claim to allow the lab's allowed upstream?
//    "run_as": "user",                      // "user" (default: the lab's unprivileged user) or "root"
//    "lab_proxy": "open",                   // run the lab's proxy on 127.0.0.1:3128: "open" (permissive,
//                                           // the none-proxy control) or "rewrite" (a liar; lab/open_proxy.hpp)
//    "memory_process": "runsc-sandbox",    // host processes (argv[0]'s last part) that hold the sandbox's
//                                           // memory when bottle-probe is no host process (gVisor): the
//                                           // lab reads their limits for res.memory (lab/memory_limits.hpp)
//    "probe_timeout_ms": 10000,             // per-probe deadline (100..60000; default 3000; --timeout-ms wins)
//    "probe_jobs": 4,                       // network-bound probes run this many at a time (1..16; default 1)
//    "files": {"settings.json": {...}},     // written to {state}/ before setup
//    "env": {"KEY": "VALUE"},               // added to the sandbox's environment
//    "setup": [...], "teardown": [...],     // optional argv run inside the lab
//    "command": ["bwrap", ..., "{probe}", "{probe_args}"]}
// Placeholders: {probe} (path of bottle-probe), {probe_args} (an element that
// expands to the probe's arguments), {probe_cmdline} (the whole probe command
// as one shell string), {state} (the profile's private directory), {profiles}
// (the profiles directory), {node_bin} (node_modules/.bin), {nonce},
// {workspace} (the lab's workspace, the sandbox's working directory), {home}
// (the planted home, which the lab mounts as HOME), {bin:NAME} (the program
// NAME found on the runner's PATH, outside the sandbox: a command need not dig
// for it; an unknown NAME is an error when the run is prepared, and NAME must
// be in "requires").
// Unknown keys are errors; a profile whose required program is missing is
// reported as an error for every probe, never as blocked.
#pragma once

#include "bottle/result.hpp"

#include <boost/json/value.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace bottle::escape {

struct profile {
    std::string name;
    std::string description;
    std::vector<std::string> requires_programs;
    std::vector<std::string> version;
    bool allows_upstream = false;
    std::string lab_proxy;  ///< "", "open" or "rewrite"
    std::string memory_process;  ///< "memory_process": argv[0] name of the host processes holding the sandbox's memory; "" none
    bool run_as_root = false;  ///< "run_as": "root"; else the lab user (people run most sandboxes as themselves)
    int probe_timeout_ms = 0;  ///< "probe_timeout_ms": this sandbox's per-probe deadline; 0: the runner's default
    int probe_jobs = 0;        ///< "probe_jobs": network-bound probes side by side; 0: one at a time
    std::map<std::string, boost::json::value> files;
    std::map<std::string, std::string> env;
    std::vector<std::string> setup, teardown, command;
};

/// Loads `<dir>/<name>.json`, or builds a custom profile from a command prefix
/// when `name` is "custom" (the prefix is followed by {probe} {probe_args}).
[[nodiscard]] result<profile> load_profile(const std::filesystem::path& dir, const std::string& name,
                                           const std::vector<std::string>& custom_prefix = {});

/// Names of the profiles in `dir` (file stems), sorted.
[[nodiscard]] std::vector<std::string> list_profiles(const std::filesystem::path& dir);

struct expansion {
    std::string probe;
    std::vector<std::string> probe_args;
    std::string state, profiles, node_bin, nonce, workspace, home;
    std::map<std::string, std::string> bins;  ///< {bin:NAME} -> absolute path (resolve_bins)
};

/// The NAMEs of every {bin:NAME} in `texts`, sorted, once each. Fails naming
/// a malformed one ("{bin:}", a NAME with '/' or no closing brace).
[[nodiscard]] result<std::vector<std::string>> bin_placeholders(const std::vector<std::string>& texts);

/// Resolves every {bin:NAME} the profile's command, setup, teardown, version,
/// env and files use, on `search_path` (the runner's PATH, ':'-separated)
/// then `extra_dirs`. Fails naming the program when one is not found, or
/// when NAME is not in the profile's "requires" (which is what makes a
/// missing one a "cannot run on this host" error before anything starts).
[[nodiscard]] result<std::map<std::string, std::string>> resolve_bins(const profile& p, const std::string& search_path,
                                                                      const std::vector<std::string>& extra_dirs = {});

/// Expands placeholders in every element of `argv`. A {bin:NAME} not in
/// `x.bins` is left as written (resolve_bins has refused it before).
[[nodiscard]] std::vector<std::string> expand(const std::vector<std::string>& argv, const expansion& x);
[[nodiscard]] std::string expand(const std::string& text, const expansion& x);

}  // namespace bottle::escape
