// tools/bottle-run/backends/smolmachines/docker_bundle.hpp — the sidecar
// bundle in Docker, as the original runs it: a container of the sidecar
// image (backends/sidecar: the static bottle-egress, imported, never pulled)
// on the daemon's default bridge (its way out), with its proxy port published
// only on the bottle's alias (HostIp = ALIAS, HostPort = 3128). Confined like
// the docker backend's sidecar: read-only root, no capabilities,
// no-new-privileges, nobody, memory and pids limits. Labelled like the
// docker backend's containers, so `bottle-run gc` removes it after a killed
// launcher. Chosen with BOTTLE_SMOLVM_BUNDLE=docker.
#pragma once

#include "bottle-run/backends/docker/engine.hpp"
#include "bottle-run/backends/smolmachines/bundle.hpp"

#include <boost/json/object.hpp>

namespace bottle::run::smolmachines {

struct docker_bundle_spec {
    std::string image;        ///< sidecar_image_tag(static egress)
    std::string bottle_id, bottle_name, launcher;  ///< labels (launcher: docker::launcher_label())
};

/// The container's name: "bb-<id>-bundle".
[[nodiscard]] std::string bundle_container_name(const std::string& bottle_id);

/// The POST /containers/create body. Pure.
[[nodiscard]] boost::json::object bundle_container_body(const docker_bundle_spec& s, const net::address_v4& alias, std::uint16_t port,
                                                        const egress_routes& routes);

class docker_bundle final : public bundle {
public:
    /// `static_egress`: the path of bottle-egress-static (sidecar::find_static_egress).
    docker_bundle(docker::engine e, std::string static_egress, docker_bundle_spec s)
        : engine_(std::move(e)), binary_(std::move(static_egress)), spec_(std::move(s)) {}
    ~docker_bundle() override { stop(); }

    [[nodiscard]] result<void> start(const net::address_v4& alias, std::uint16_t port, const egress_routes& routes) override;
    void stop() noexcept override;
    [[nodiscard]] std::optional<pid_t> pid() const noexcept override { return std::nullopt; }

private:
    docker::engine engine_;
    std::string binary_;
    docker_bundle_spec spec_;
    bool created_ = false;
};

}  // namespace bottle::run::smolmachines
