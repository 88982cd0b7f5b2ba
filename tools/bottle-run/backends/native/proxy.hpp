// tools/bottle-run/backends/native/proxy.hpp — bottle-egress for one bottle.
//
// The proxy runs outside the bottle and serves the listener the bottle's
// child made inside its network namespace (inherited as fd 3). Starting it is
// one step: spawn, then wait for its `{"listening":[...]}` line.
#pragma once

#include "bottle-run/egress_routes.hpp"
#include "bottle/os/unique_fd.hpp"
#include "bottle/result.hpp"

#include <sys/types.h>

#include <string>
#include <vector>

namespace bottle::run::native {

/// $BOTTLE_EGRESS as given, else bottle-egress next to bottle-run (installed
/// or in the build tree): its static build (bottle-egress-static, the same
/// proxy) where one at least as new as the dynamic one is there, since it
/// starts ~2 ms sooner. Errors: not_found, saying where it looked.
[[nodiscard]] result<std::string> find_egress_binary();

namespace detail {
/// `dynamic` + "-static" when that exists, is executable and is at least as
/// new as `dynamic` (or `dynamic` is absent); else `dynamic`. A static build
/// left over from an older build (only bottle-egress rebuilt since) is
/// passed over.
[[nodiscard]] std::string prefer_static_egress(const std::string& dynamic);
}  // namespace detail

class egress_proxy {
public:
    egress_proxy() = default;
    egress_proxy(egress_proxy&& o) noexcept : pid_(o.pid_), out_(std::move(o.out_)), asked_to_stop_(o.asked_to_stop_) { o.pid_ = -1; }
    egress_proxy& operator=(egress_proxy&&) = delete;
    egress_proxy(const egress_proxy&) = delete;
    egress_proxy& operator=(const egress_proxy&) = delete;
    ~egress_proxy() { stop(); }

    /// Starts `binary --listen-fd 3 --allow A ... --log log_file`; does not
    /// wait (the listener already queues connections). Errors: io_error.
    [[nodiscard]] static result<egress_proxy> start(const std::string& binary, int listener, const egress_routes& routes,
                                                    const std::string& log_file, const std::string& bottle_id);
    /// Waits (up to 5 s) for its `{"listening":...}` line. Errors: io_error
    /// (it exited or said something else), timeout.
    [[nodiscard]] result<void> wait_ready();
    /// SIGTERM without waiting, so it winds down while the launcher tears
    /// down the rest; stop() then waits. Idempotent.
    void ask_to_stop() noexcept;
    /// SIGTERM (unless asked already), then SIGKILL after a second; reaped.
    /// Idempotent.
    void stop() noexcept;
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    /// Its stdout, where the ready line comes: for a launcher that waits for
    /// it alongside other events instead of in wait_ready().
    [[nodiscard]] int ready_fd() const noexcept { return out_.get(); }

private:
    pid_t pid_ = -1;
    os::unique_fd out_{};  ///< its stdout, kept open so a late write never raises SIGPIPE
    bool asked_to_stop_ = false;
};

}  // namespace bottle::run::native
