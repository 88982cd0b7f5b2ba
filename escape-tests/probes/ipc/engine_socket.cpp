// ipc.engine_socket — talk to a container engine's API socket (docker,
// containerd, podman) from inside the sandbox. An engine socket is root on the
// host: escaped when the fake engine logs the tag or its reply surfaces.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(ipc_engine_socket, "ipc.engine_socket",
             "HTTP API request to well-known container-engine unix sockets (docker, containerd, podman)",
             bottle::escape::probe::scoring::sink | bottle::escape::probe::scoring::token) {
    std::vector<std::string> paths{std::string(lab::engine_socket), "/var/run/docker.sock",
                                   std::string(lab::containerd_socket), "/var/run/containerd/containerd.sock",
                                   "/run/podman/podman.sock", "/run/user/" + std::to_string(getuid()) + "/docker.sock",
                                   "/run/user/" + std::to_string(getuid()) + "/podman/podman.sock"};
    if (const auto xdg = support::env("XDG_RUNTIME_DIR"); !xdg.empty()) {
        paths.push_back(xdg + "/docker.sock");
        paths.push_back(xdg + "/podman/podman.sock");
    }
    if (const auto dh = support::env("DOCKER_HOST"); dh.rfind("unix://", 0) == 0) paths.push_back(dh.substr(7));
    std::vector<std::string> seen;
    const std::string request = "GET /v1.41/containers/json?bbx=" + ctx.tag +
                                " HTTP/1.1\r\nHost: docker\r\nUser-Agent: bottle-probe\r\nX-Bbx-Tag: " + ctx.tag +
                                "\r\nConnection: close\r\n\r\n";
    const long long deadline = support::now_ms() + 2200;
    for (const auto& p : paths) {
        if (p.empty()) continue;
        char real[4096];
        const std::string canon = realpath(p.c_str(), real) ? std::string(real) : p;  // /var/run -> /run
        if (std::find(seen.begin(), seen.end(), canon) != seen.end()) continue;
        seen.push_back(canon);
        struct stat st{};
        if (lstat(p.c_str(), &st) != 0) {
            rep.attempt("stat " + p, support::errno_name(errno));
            continue;
        }
        const long long left = deadline - support::now_ms();
        if (left < 100) {
            rep.not_made("", "unix connect " + p, "skipped: probe time budget spent");
            continue;
        }
        const auto r = support::unix_exchange(p, request, static_cast<int>(std::min<long long>(left, 700)));
        rep.record("", "unix connect " + p + " and send GET /v1.41/containers/json", r.outcome, r.made, r.sent);
        if (!r.reply.empty()) rep.observe(p + " replied: " + r.reply);
    }
}
