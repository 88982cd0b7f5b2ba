// A private dockerd for the docker backend's tests (docker_fixture.sh: its own
// network and mount namespaces, an imported busybox image, never the host's
// daemon). One per test suite; `skip` says why there is none.
#pragma once

#include "bottle/os/spawn.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace bottle::test_support {

inline const std::string docker_fixture_script = BOTTLE_SOURCE_DIR "/tests/run_docker/docker_fixture.sh";

struct docker_lab {
    std::string dir, skip;
    bool up = false;
};

/// Starts one in TMPDIR/PREFIX-PID (DIR/docker.sock).
inline docker_lab start_docker_lab(const std::string& prefix) {
    docker_lab lab;
    lab.dir = (std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()))).string();
    bottle::os::spawn_request r;
    r.argv = {docker_fixture_script, "start", lab.dir};
    r.timeout = std::chrono::seconds(60);
    r.stderr_to = bottle::os::stderr_mode::merge;
    auto out = bottle::os::spawn(r);
    if (!out) lab.skip = out.error().message;
    else if (out->exit_code == 77) lab.skip = out->out;
    else if (!out->succeeded()) lab.skip = "the fixture failed: " + out->out;
    else lab.up = true;
    return lab;
}

/// Stops the daemon it started and removes its directory; nothing when none started.
inline void stop_docker_lab(const docker_lab& lab) {
    if (!lab.up) return;
    bottle::os::spawn_request r;
    r.argv = {docker_fixture_script, "stop", lab.dir};
    r.timeout = std::chrono::seconds(60);
    (void)bottle::os::spawn(r);
}

}  // namespace bottle::test_support
