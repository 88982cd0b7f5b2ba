#include "bottle-run/backends/docker/explain.hpp"

#include "bottle-run/backends/docker/engine.hpp"
#include "bottle-run/backends/docker/plan.hpp"

#include <sys/stat.h>

#include <cstdlib>

namespace bottle::run::docker {

protection gvisor_protection(const boost::json::value& info, const std::string& where) {
    auto chosen = choose_runtime(info, false);
    if (chosen && chosen->name == "runsc")
        return {"docker-gvisor", "active", "runsc is registered with the daemon at " + where + ": docker bottles run under gVisor", ""};
    return {"docker-gvisor", "missing", "the daemon at " + where + " has no runsc runtime: docker bottles run on runc, the host kernel behind seccomp",
            "install gVisor (Debian: apt-get install runsc) and register it: dockerd --add-runtime runsc=/usr/bin/runsc "
            "(docs/docker-backend.md lists the runtimeArgs some hosts need); --require-gvisor refuses to start without it"};
}

std::vector<protection> explain_docker() {
    const char* host = std::getenv("DOCKER_HOST");
    auto ep = endpoint_from(host ? std::optional<std::string>(host) : std::nullopt);
    if (!ep) return {{"docker-gvisor", "missing", ep.error().message, "point DOCKER_HOST at a unix socket"}};
    struct stat st {};
    if (::stat(ep->socket_path.c_str(), &st) != 0) return {};  // no daemon here: the docker backend does not apply
    auto info = engine(*ep).call_json("GET", "/info", std::nullopt, std::chrono::seconds(10));
    if (!info) return {{"docker-gvisor", "missing", "the daemon at " + ep->spec + " did not answer: " + info.error().message, "start it, or fix DOCKER_HOST"}};
    return {gvisor_protection(*info, ep->spec)};
}

}  // namespace bottle::run::docker
