// bottle/os/signals.hpp — signals as data, not as handlers.
//
// A launcher must tear a bottle down on SIGINT/SIGTERM without doing work in
// a signal handler. The pattern: block the signals (`blocked_signals`, for a
// scope, in the thread that starts the others so they inherit the mask),
// read them from a `signal_fd` in the event loop, and end process groups with
// `kill_group`, which refuses the group ids that would hit the caller or
// every process.
#pragma once

#include "bottle/os/unique_fd.hpp"
#include "bottle/result.hpp"

#include <signal.h>

#include <chrono>
#include <initializer_list>
#include <optional>

namespace bottle::os {

/// Blocks signals in the calling thread for a scope; the destructor restores
/// the mask the thread had before.
class blocked_signals {
public:
    /// Errors: invalid_argument (not a signal number).
    [[nodiscard]] static result<blocked_signals> block(std::initializer_list<int> signals);
    blocked_signals(blocked_signals&& other) noexcept : previous_(other.previous_), active_(other.active_) {
        other.active_ = false;
    }
    blocked_signals& operator=(blocked_signals&&) = delete;
    blocked_signals(const blocked_signals&) = delete;
    blocked_signals& operator=(const blocked_signals&) = delete;
    ~blocked_signals();

private:
    explicit blocked_signals(const sigset_t& previous) noexcept : previous_(previous) {}
    sigset_t previous_;
    bool active_ = true;
};

/// A signalfd for a set of signals, which must be blocked in every thread
/// (else the default action may run first). Close-on-exec, non-blocking.
class signal_fd {
public:
    /// Errors: invalid_argument (not a signal number); io_error.
    [[nodiscard]] static result<signal_fd> open(std::initializer_list<int> signals);

    /// The next pending signal of the set, waiting up to `timeout` (zero:
    /// only look); nullopt when none came. Errors: io_error.
    [[nodiscard]] result<std::optional<int>> wait(std::chrono::milliseconds timeout);

    /// For an event loop's poll set: readable when a signal is pending.
    [[nodiscard]] int get() const noexcept { return fd_.get(); }

private:
    explicit signal_fd(unique_fd fd) noexcept : fd_(std::move(fd)) {}
    unique_fd fd_;
};

/// kill(-pgid, sig): every process of the group. Errors: invalid_argument
/// (pgid <= 1: 0 is the caller's own group, 1 would be init's, and -1 every
/// process); not_found (no such group: already gone); permission_denied.
[[nodiscard]] result<void> kill_group(int pgid, int sig);

}  // namespace bottle::os
