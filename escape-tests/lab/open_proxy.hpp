// escape-tests/lab/open_proxy.hpp — a deliberately permissive HTTP proxy in
// the lab host, for the control runs of the proxy.* probes.
//
// A proxy probe attacks the sandbox's proxy; with no proxy it is N/A. To show
// that each proxy probe can detect its escape, the `none-proxy` control runs
// the probes unconfined with HTTP(S)_PROXY pointing here: a proxy that
// enforces nothing (CONNECT to anything, absolute-form requests forwarded
// as they are, Host and SNI unchecked), so every proxy probe must come out
// ESCAPED. It still never leaves the lab: names resolve through the lab's
// resolver, and any address outside lab::is_lab_target is refused (502).
//
// Its `rewrite` mode is one of the liars of ctest escape.liars: a proxy that
// makes every request compliant — whatever was asked, it sends only
// "GET <path>" with Host: allowed.lab.test to the allowed upstream (body and
// anything after the head dropped) and refuses CONNECT. Nothing it forwards
// may be scored ESCAPED.
#pragma once

#include "bottle/result.hpp"

#include <sys/types.h>

#include <cstdint>

namespace bottle::escape::lab {

inline constexpr std::uint16_t open_proxy_port = 3128;  ///< on 127.0.0.1 of the lab host

enum class proxy_mode { open, rewrite };

/// The open proxy's process; stop() (also the destructor) kills and reaps it.
class open_proxy {
public:
    open_proxy() = default;
    open_proxy(const open_proxy&) = delete;
    open_proxy& operator=(const open_proxy&) = delete;
    ~open_proxy() { stop(); }

    /// Binds 127.0.0.1:3128 and forks the serving process.
    [[nodiscard]] result<void> start(proxy_mode mode = proxy_mode::open);
    void stop() noexcept;

private:
    pid_t pid_ = -1;
};

}  // namespace bottle::escape::lab
