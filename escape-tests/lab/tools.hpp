// escape-tests/lab/tools.hpp — the harness's own programs as the lab sees them.
//
// The lab host mounts fresh directories on /tmp, /var/tmp, /run, /root and
// /home (lab.hpp). A checkout or build tree under any of them (a CI runner's /tmp
// workspace, root's home) would vanish from the lab's view, and the sandbox
// could not start `bottle-probe` ("cannot run .../bottle-probe: No such file
// or directory"). So the runner never hands the lab a path of its own: the
// probe, the profiles directory and node_modules are bound into the run
// directory's `tools/` inside the lab's mount namespace, before the fresh
// directories hide their sources, and every command the lab runs names those
// staged paths. Commands the runner itself runs (a profile's `version`) keep
// the host paths.
#pragma once

#include "bottle/result.hpp"

#include <filesystem>
#include <vector>

namespace bottle::escape::lab {

/// Directories the lab host replaces with its own: what lies under them
/// outside the lab is invisible inside.
[[nodiscard]] bool hidden_in_lab(const std::filesystem::path& absolute_path);

/// The harness programs by path.
struct tool_paths {
    std::filesystem::path probe;     ///< bottle-probe (a file)
    std::filesystem::path profiles;  ///< the profiles directory
    std::filesystem::path node_bin;  ///< node_modules/.bin of the peers (may not exist)
};

/// One bind mount made inside the lab's mount namespace.
struct lab_bind {
    std::filesystem::path source;  ///< host path, resolved before the lab hides anything
    std::filesystem::path target;  ///< under the run directory's tools/
    bool directory = false;
    bool read_only = true;
};

/// Where each program is inside the lab, and the binds that put it there.
struct staged_tools {
    tool_paths in_lab;
    std::vector<lab_bind> binds;
};

/// Plans the staging under `tools_dir` (pure: touches nothing). `host` paths
/// are made absolute first. node_modules (the parent of a `.bin` node_bin,
/// else node_bin itself) is bound only when it exists, read-write as the
/// peers expect; the probe and the profiles read-only.
[[nodiscard]] staged_tools plan_tool_staging(const std::filesystem::path& tools_dir, const tool_paths& host);

/// Creates the empty mount points of `staged` (files and directories) so the
/// lab host can bind onto them. Fails naming the path it could not create.
[[nodiscard]] result<void> make_mount_points(const staged_tools& staged);

/// Makes the binds (inside the lab's mount namespace: call after unshare and
/// before the lab's own directories are mounted). Fails naming the bind.
[[nodiscard]] result<void> bind_tools(const std::vector<lab_bind>& binds);

}  // namespace bottle::escape::lab
