// tools/bottle-preflight/checks_docker.hpp — prerequisites of the docker backend.
//
// docker.cli (the client runs), docker.daemon (the local daemon answers
// GET /_ping on its unix socket), docker.runsc (gVisor registered as a
// runtime; otherwise bottles use runc). The daemon is asked over its local
// unix socket only — the socket named by DOCKER_HOST=unix://... or
// /var/run/docker.sock — never through the CLI, which could follow DOCKER_HOST
// or a docker context to another machine.
#pragma once

#include "check_support.hpp"
#include "system_probes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace bottle::preflight {

inline constexpr const char* docker_category = "docker";
inline constexpr std::chrono::milliseconds docker_api_timeout{3000};

/// docker.cli — `docker` on PATH and `docker --version` (client only) works.
[[nodiscard]] check_result check_docker_cli(system_probes& p);

/// Where the local daemon listens: the path, or why it is not a local socket.
struct docker_endpoint {
    std::string socket_path{};  ///< empty when DOCKER_HOST is not a unix socket
    std::string described{};    ///< "unix:///var/run/docker.sock" or the DOCKER_HOST value
};

[[nodiscard]] docker_endpoint resolve_docker_endpoint(system_probes& p);

/// docker.daemon — the local daemon answers GET /_ping.
[[nodiscard]] check_result check_docker_daemon(system_probes& p, const docker_endpoint& at);

/// docker.runsc — gVisor's runsc is a registered runtime; says which runtime
/// bottles will use. Only asked when the daemon answered (`daemon_ok`).
[[nodiscard]] check_result check_docker_runsc(system_probes& p, const docker_endpoint& at, bool daemon_ok);

/// Every docker check, in a stable order.
[[nodiscard]] std::vector<check_result> docker_checks(system_probes& p);

}  // namespace bottle::preflight
