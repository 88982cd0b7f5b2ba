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
//    "files": {"settings.json": {...}},     // written to {state}/ before setup
//    "env": {"KEY": "VALUE"},               // added to the sandbox's environment
//    "setup": [...], "teardown": [...],     // optional argv run inside the lab
//    "command": ["bwrap", ..., "{probe}", "{probe_args}"]}
// Placeholders: {probe} (path of bottle-probe), {probe_args} (an element that
// expands to the probe's arguments), {probe_cmdline} (the whole probe command
// as one shell string), {state} (the profile's private directory), {profiles}
// (the profiles directory), {node_bin} (node_modules/.bin), {nonce},
// {workspace} (the lab's workspace, the sandbox's working directory), {home}
// (the planted home, which the lab mounts as HOME).
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
    bool run_as_root = false;  ///< "run_as": "root"; else the lab user (people run most sandboxes as themselves)
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
};

/// Expands placeholders in every element of `argv`.
[[nodiscard]] std::vector<std::string> expand(const std::vector<std::string>& argv, const expansion& x);
[[nodiscard]] std::string expand(const std::string& text, const expansion& x);

}  // namespace bottle::escape
