// tools/bottle-run/backends/smolmachines/bundle.hpp — the sidecar bundle a
// smolvm bottle reaches: its egress proxy, published on the bottle's own
// loopback alias.
//
// The VM's allowlist is the alias /32, so whatever listens there is the VM's
// whole outside world. `bundle` is what the spine needs of it: start on
// alias:port with the bottle's routes, stop. Implementations:
//   - process_bundle: bottle-egress as a host process whose listener is
//     bound to alias:port (here, in the unit and end-to-end tests);
//   - a Docker sidecar (the original's): not built yet, see docs/smolvm.md.
#pragma once

#include "bottle-run/backends/native/proxy.hpp"

#include "bottle/net/cidr.hpp"
#include "bottle/result.hpp"

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bottle::run::smolmachines {

class bundle {
public:
    virtual ~bundle() = default;
    /// Listening on alias:port and enforcing `routes` when it
    /// returns. Errors: io_error / conflict (address in use) / timeout.
    [[nodiscard]] virtual result<void> start(const net::address_v4& alias, std::uint16_t port, const egress_routes& routes) = 0;
    /// Stops it and waits; idempotent, never fails.
    virtual void stop() noexcept = 0;
    /// The host process to record for gc, if there is one.
    [[nodiscard]] virtual std::optional<pid_t> pid() const noexcept = 0;
};

/// bottle-egress, run by bottle-run, serving a listener bound to alias:port.
class process_bundle final : public bundle {
public:
    process_bundle(std::string egress_binary, std::string log_file, std::string bottle_id)
        : binary_(std::move(egress_binary)), log_(std::move(log_file)), id_(std::move(bottle_id)) {}
    ~process_bundle() override { stop(); }

    [[nodiscard]] result<void> start(const net::address_v4& alias, std::uint16_t port, const egress_routes& routes) override;
    void stop() noexcept override {
        if (proxy_) proxy_->stop();
    }
    [[nodiscard]] std::optional<pid_t> pid() const noexcept override {
        return proxy_ && proxy_->pid() > 0 ? std::optional<pid_t>(proxy_->pid()) : std::nullopt;
    }

private:
    std::string binary_, log_, id_;
    std::optional<native::egress_proxy> proxy_{};
};

}  // namespace bottle::run::smolmachines
