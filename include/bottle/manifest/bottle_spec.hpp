// bottle/manifest/bottle_spec.hpp — a resolved bottle as plain C++ types.
//
// Merging works on JSON (so `null` can delete); the tools that launch, proxy
// and audit a bottle want typed fields. `to_spec` converts a resolved bottle
// after validating it again in resolved form (fail closed: a hand-built or
// corrupted value is an error, never a half-filled spec). Absent keys stay
// absent (std::optional / empty lists): defaults belong to the consumer.
#pragma once

#include "bottle/manifest/backend_kind.hpp"
#include "bottle/manifest/canonical.hpp"
#include "bottle/manifest/resolve.hpp"
#include "bottle/manifest/schema.hpp"
#include "bottle/result.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bottle::manifest {

struct egress_route {
    std::string host;                  ///< as written (merge compared it case-insensitively)
    std::vector<std::uint16_t> ports;  ///< empty: the proxy's default ports
    bool tls = true;                   ///< false: CONNECT may carry non-TLS bytes ("tls": false, exact host and ports only)
};

struct mount_spec {
    std::string host;   ///< as written (may start with "~")
    std::string guest;  ///< a clean absolute path
    bool read_write = false;
};

struct resource_spec {
    std::optional<std::uint32_t> cpus, memory_mib, pids;
    /// The bottle's scratch space (its /tmp and HOME together), in MiB.
    std::optional<std::uint32_t> disk_mib;
};

struct git_repo_spec {
    std::string url;
    std::string key_provider;     ///< "static" or "gitea"
    std::string key_path;         ///< static: the deploy key file; empty for gitea
    std::string forge_token_env;  ///< gitea: the host variable holding the forge token; empty for static
    std::string host_key;         ///< empty when not pinned (bottle-audit warns)
};

/// A resolved bottle, typed. Lists keep their merged order.
struct bottle_spec {
    std::string name;
    std::vector<std::string> lineage;
    std::vector<egress_route> egress;
    std::map<std::string, std::string> env;
    std::vector<mount_spec> mounts;
    resource_spec resources;
    std::map<std::string, git_repo_spec> repos;  ///< by repo name
    std::optional<bool> supervise;
    std::optional<backend_kind> backend;
    std::optional<std::string> dockerfile;  ///< docker backend: the agent image's recipe (absolute or ~/)
    std::string canonical;  ///< canonical_json of the resolved value
};

namespace detail {

inline std::uint32_t to_u32(const boost::json::value& v) {
    if (const auto* n = v.if_int64()) return static_cast<std::uint32_t>(*n);
    return static_cast<std::uint32_t>(v.get_uint64());
}

}  // namespace detail

/// Converts a resolved bottle. Errors: those of validate_bottle (resolved
/// form) and of canonical_json. Never throws.
[[nodiscard]] inline result<bottle_spec> to_spec(const resolved_bottle& r, const limits& lim = {}) noexcept {
    try {
        if (auto ok = validate_bottle(r.value, "bottle " + r.name, "", bottle_form::resolved, lim); !ok) return ok.error();
        auto canonical = canonical_json(r.value);
        if (!canonical) return canonical.error();
        bottle_spec s;
        s.name = r.name;
        s.lineage = r.lineage;
        s.canonical = std::move(*canonical);
        const auto& o = r.value;
        if (const auto* e = o.if_contains("egress"))
            for (const auto& route : e->get_array()) {
                egress_route out{std::string(route.at("host").get_string()), {}};
                if (const auto* ports = route.get_object().if_contains("ports"))
                    for (const auto& p : ports->get_array()) out.ports.push_back(static_cast<std::uint16_t>(detail::port_of(p)));
                if (const auto* tls = route.get_object().if_contains("tls")) out.tls = tls->get_bool();
                s.egress.push_back(std::move(out));
            }
        if (const auto* env = o.if_contains("env"))
            for (const auto& m : env->get_object()) s.env.emplace(std::string(m.key()), std::string(m.value().get_string()));
        if (const auto* mounts = o.if_contains("mounts"))
            for (const auto& m : mounts->get_array())
                s.mounts.push_back({std::string(m.at("host").get_string()), std::string(m.at("guest").get_string()), m.at("mode").get_string() == "rw"});
        if (const auto* res = o.if_contains("resources")) {
            const auto& ro = res->get_object();
            if (const auto* v = ro.if_contains("cpus")) s.resources.cpus = detail::to_u32(*v);
            if (const auto* v = ro.if_contains("memory_mib")) s.resources.memory_mib = detail::to_u32(*v);
            if (const auto* v = ro.if_contains("pids")) s.resources.pids = detail::to_u32(*v);
            if (const auto* v = ro.if_contains("disk_mib")) s.resources.disk_mib = detail::to_u32(*v);
        }
        if (const auto* gg = o.if_contains("git-gate"))
            if (const auto* repos = gg->get_object().if_contains("repos"))
                for (const auto& m : repos->get_object()) {
                    const auto& repo = m.value().get_object();
                    const auto& key = repo.at("key").get_object();
                    auto text = [](const boost::json::object& obj, std::string_view k) {
                        const auto* v = obj.if_contains(k);
                        return v ? std::string(v->get_string()) : std::string();
                    };
                    s.repos.emplace(std::string(m.key()), git_repo_spec{text(repo, "url"), text(key, "provider"), text(key, "path"),
                                                                        text(key, "forge_token_env"), text(repo, "host_key")});
                }
        if (const auto* sv = o.if_contains("supervise")) s.supervise = sv->get_bool();
        if (const auto* d = o.if_contains("dockerfile")) s.dockerfile = std::string(d->get_string());
        if (const auto* b = o.if_contains("backend")) {
            const auto& name = b->get_string();
            s.backend = name == "native" ? backend_kind::native : name == "docker" ? backend_kind::docker : backend_kind::smolmachines;
        }
        return s;
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, "bottle " + r.name + ": out of memory");
    } catch (const std::exception& e) {
        return make_error(errc::internal, "bottle " + r.name + ": unexpected error: " + e.what());
    }
}

}  // namespace bottle::manifest
