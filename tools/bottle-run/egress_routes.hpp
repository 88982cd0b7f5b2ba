// tools/bottle-run/egress_routes.hpp — a bottle's routes as bottle-egress
// takes them on its command line. Every backend starts the same proxy with
// the same routes: this is the one place that spells them.
#pragma once

#include "bottle/manifest/bottle_spec.hpp"

#include <string>
#include <vector>

namespace bottle::run {

struct egress_routes {
    std::vector<std::string> allow{};    ///< HOST[:PORT], one per route and port: `--allow`
    std::vector<std::string> tunnels{};  ///< HOST:PORT of "tls": false routes: `--allow-tunnel`

    [[nodiscard]] bool empty() const { return allow.empty() && tunnels.empty(); }

    /// `--allow A ... --allow-tunnel T ...`, in that order.
    [[nodiscard]] std::vector<std::string> arguments() const {
        std::vector<std::string> args;
        for (const auto& a : allow) args.insert(args.end(), {"--allow", a});
        for (const auto& t : tunnels) args.insert(args.end(), {"--allow-tunnel", t});
        return args;
    }

    friend bool operator==(const egress_routes&, const egress_routes&) = default;
};

/// A resolved bottle's `egress` list. A route without ports is the proxy's
/// default set; a "tls": false route (the manifest requires its ports) lets
/// its CONNECT tunnel carry non-TLS bytes to exactly that host and ports.
[[nodiscard]] inline egress_routes egress_routes_of(const std::vector<manifest::egress_route>& routes) {
    egress_routes out;
    for (const auto& route : routes) {
        auto& list = route.tls ? out.allow : out.tunnels;
        if (route.ports.empty()) list.push_back(route.host);
        for (auto port : route.ports) list.push_back(route.host + ":" + std::to_string(port));
    }
    return out;
}

}  // namespace bottle::run
