// bottle/policy/egress_policy.hpp — the rules a bottle's egress proxy
// enforces, as pure functions: no sockets, no DNS, no files (except the
// optional public suffix list loader). bottle-egress does the I/O and asks
// this header for every decision.
//
//   canonical_host / ip_literal   host_name.hpp: syntax check, canonical form
//   make_route                    a route, refused when it opens too much
//   decide                        is (host, port) allowed by these routes?
//   check_address / check_answers deny_floor.hpp: may a resolved address be dialed?
//   public_suffixes               public_suffixes.hpp
//
// Routes: an exact host, or "*.suffix" which matches names ending in
// ".suffix" at any depth — not the bare suffix, not "evilsuffix", not
// "suffix.evil". IP literal hosts (every spelling) match only a route that
// names the same address; they never match a wildcard. Ports come from the
// route or default to {443, 80}. Anything not matched is denied.
//
// An IP literal route is an explicit, loud choice (bottle-audit reports it):
// a request that names that address in any spelling is allowed, and the
// decision carries the route's address for the proxy to dial as is — no
// resolution, and the deny floor is not applied to it. Names always
// resolve, and every answer goes through the floor, even if an answer
// equals an address some literal route names.
// See docs/egress-policy.md.
#pragma once

#include "bottle/net/cidr.hpp"
#include "bottle/policy/deny_floor.hpp"
#include "bottle/policy/host_key.hpp"
#include "bottle/policy/host_name.hpp"
#include "bottle/policy/public_suffixes.hpp"
#include "bottle/result.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::policy {

/// Ports a route allows when it lists none.
inline constexpr std::array<std::uint16_t, 2> default_ports{443, 80};

struct route {
    std::string host;                  ///< canonical: exact name, IP literal, or "*.suffix"
    std::vector<std::uint16_t> ports;  ///< empty = default_ports
    bool tls = true;                   ///< false: a non-TLS tunnel (e.g. ssh on 22) is allowed
};

/// A route, checked and canonical. Refused (invalid_argument, or the
/// canonical_host error): "*", any '*' other than a whole first label,
/// "*.X" with X one label ("*.com") or a public suffix ("*.co.uk",
/// "*.github.io") or an IP address; an exact host that is a public suffix,
/// including every single-label name ("com", "localhost": single labels are
/// also completed by the resolver's search list, so what they reach depends
/// on the proxy host); port 0 or a port listed twice.
[[nodiscard]] inline result<route> make_route(std::string_view host, std::vector<std::uint16_t> ports = {}, bool tls = true,
                                              const public_suffixes& suffixes = builtin_public_suffixes()) {
    const std::string quoted = net::detail::quote(host);
    auto refuse = [&](std::string why) { return make_error(errc::invalid_argument, "route " + quoted + ": " + why); };
    route r;
    r.tls = tls;
    if (host == "*" || host == "*.") return refuse("'*' matches every host; list the hosts the agent needs");
    if (host.starts_with("*.")) {
        auto suffix = canonical_host(host.substr(2));
        if (!suffix) return suffix.error();
        if (canonical_ip_literal(*suffix)) return refuse("a wildcard cannot cover an IP address");
        if (suffix->find('.') == std::string::npos)
            return refuse("matches every name under the top-level domain \"" + *suffix + "\"");
        if (suffixes.is_public_suffix(*suffix))
            return refuse("matches every name under the public suffix \"" + *suffix +
                          "\", where anyone can register a name or publish a site");
        r.host = "*." + *suffix;
    } else {
        if (host.find('*') != std::string_view::npos)
            return refuse("'*' is only allowed as the whole first label (\"*.example.com\")");
        auto c = canonical_host(host);
        if (!c) return c.error();
        if (!canonical_ip_literal(*c)) {
            if (c->find('.') == std::string::npos)
                return refuse("a single-label name is a top-level domain or is completed by the resolver's search list");
            if (suffixes.is_public_suffix(*c)) return refuse("\"" + *c + "\" is a public suffix, not a host");
        }
        r.host = std::move(*c);
    }
    for (std::size_t i = 0; i < ports.size(); ++i) {
        if (ports[i] == 0) return refuse("port 0 is not a port");
        if (std::find(ports.begin(), ports.begin() + static_cast<std::ptrdiff_t>(i), ports[i]) != ports.begin() + static_cast<std::ptrdiff_t>(i))
            return refuse("port " + std::to_string(ports[i]) + " is listed twice");
    }
    r.ports = std::move(ports);
    return r;
}

/// True when `r` allows `port` (its own ports, or default_ports).
[[nodiscard]] inline bool allows_port(const route& r, std::uint16_t port) noexcept {
    if (r.ports.empty()) return std::find(default_ports.begin(), default_ports.end(), port) != default_ports.end();
    return std::find(r.ports.begin(), r.ports.end(), port) != r.ports.end();
}

/// The suffix of a wildcard route ("*.a.b" -> "a.b"), empty for other routes.
[[nodiscard]] inline std::string_view wildcard_suffix(const route& r) noexcept {
    std::string_view h = r.host;
    return h.size() > 2 && h.starts_with("*.") ? h.substr(2) : std::string_view{};
}

/// The address an IP literal route names; nullopt for name routes (and for
/// a hand-made route whose literal is not in canonical form: it never matches).
[[nodiscard]] inline std::optional<net::address> route_address(const route& r) {
    return canonical_ip_literal(r.host);
}

struct decision {
    bool allowed = false;            ///< default: denied
    std::string reason = "not decided";
    const route* matched = nullptr;  ///< the allowing route (points into the routes given to decide)
    std::string host{};              ///< the canonical host, empty when it was refused
    /// For an IP literal allowed by a literal route: the route's address,
    /// which the proxy dials without resolving and without the floor.
    std::optional<net::address> address{};
};

/// Decides a request for `host` (untrusted, any spelling) and `port`.
/// `routes` should come from make_route (hosts are compared canonically; a
/// hand-made non-canonical name never matches). When several routes match,
/// an exact route wins over wildcards, a longer wildcard suffix over a
/// shorter one, an earlier route over a later one. Never throws except on
/// allocation failure.
[[nodiscard]] inline decision decide(std::span<const route> routes, std::string_view host, std::uint16_t port) {
    decision d;
    auto c = canonical_host(host);
    if (!c) {
        d.reason = c.error().message;
        return d;
    }
    d.host = std::move(*c);
    if (port == 0) {
        d.reason = "port 0 is not a port";
        return d;
    }
    const auto literal = canonical_ip_literal(d.host);
    bool host_known = false;  // some route names the host, whatever its ports
    const route* best = nullptr;
    if (literal) {
        const net::address want = unmapped(*literal);
        for (const auto& r : routes) {
            const auto a = route_address(r);
            if (!a || unmapped(*a) != want) continue;
            host_known = true;
            if (allows_port(r, port)) {
                best = &r;
                d.address = *a;
                break;
            }
        }
    } else {
        for (const auto& r : routes) {
            if (r.host != d.host) continue;
            host_known = true;
            if (allows_port(r, port)) {
                best = &r;
                break;
            }
        }
        for (const auto& r : routes) {
            if (best && wildcard_suffix(*best).empty()) break;  // an exact route already won
            const std::string_view s = wildcard_suffix(r);
            if (s.empty() || d.host.size() <= s.size() + 1 || !d.host.ends_with(s) || d.host[d.host.size() - s.size() - 1] != '.')
                continue;
            host_known = true;
            if (allows_port(r, port) && (!best || s.size() > wildcard_suffix(*best).size())) best = &r;
        }
    }
    if (best) {
        d.allowed = true;
        d.matched = best;
        d.reason = "allowed by route " + best->host;
        return d;
    }
    if (host_known) d.reason = "port " + std::to_string(port) + " not allowed for " + d.host;
    else d.reason = literal ? "address " + d.host + " not in allowlist" : "host not in allowlist";
    return d;
}

}  // namespace bottle::policy
