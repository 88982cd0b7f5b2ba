// tools/bottle-run/backends/docker/explain.hpp — what `bottle-run explain`
// says about the docker backend: whether bottles on this host's daemon
// ($DOCKER_HOST) run under gVisor.
#pragma once

#include "bottle-run/explain.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

namespace bottle::run::docker {

/// The `docker-gvisor` line from the daemon's GET /info reply (pure):
/// active when runsc is registered, missing (with the remedy) otherwise.
[[nodiscard]] protection gvisor_protection(const boost::json::value& info, const std::string& where);

/// The docker lines for this host: none when no daemon answers at
/// $DOCKER_HOST (or the default socket), else `docker-gvisor`.
[[nodiscard]] std::vector<protection> explain_docker();

}  // namespace bottle::run::docker
