// tools/bottle-run/backends/native/pty.hpp — the agent's own terminal.
//
// When bottle-run's stdin is a terminal, the agent never gets it (a
// terminal can be driven by whoever holds it: TIOCSTI, job control, the
// user's scrollback). It gets a new pty instead; the launcher puts the
// user's terminal in raw mode, relays bytes both ways, copies the window
// size on SIGWINCH, and restores the terminal on every exit path.
#pragma once

#include "bottle/os/unique_fd.hpp"
#include "bottle/result.hpp"

#include <termios.h>

namespace bottle::run::native {

struct pty_pair {
    os::unique_fd master, slave;
};

/// A new pty with the window size of `like` (the user's terminal).
/// Errors: io_error naming the call.
[[nodiscard]] result<pty_pair> open_pty(int like);

/// Copies the window size of `from` to `to` (the kernel then signals the
/// pty's foreground process group with SIGWINCH).
void copy_window_size(int from, int to) noexcept;

/// The user's terminal in raw mode for a scope.
class raw_terminal {
public:
    [[nodiscard]] static result<raw_terminal> enter(int fd);
    raw_terminal(raw_terminal&& o) noexcept : fd_(o.fd_), saved_(o.saved_) { o.fd_ = -1; }
    raw_terminal& operator=(raw_terminal&&) = delete;
    raw_terminal(const raw_terminal&) = delete;
    raw_terminal& operator=(const raw_terminal&) = delete;
    ~raw_terminal();

private:
    raw_terminal(int fd, const termios& saved) noexcept : fd_(fd), saved_(saved) {}
    int fd_ = -1;
    termios saved_{};
};

/// In the agent: a new session whose controlling terminal is `slave`, which
/// becomes stdin, stdout and stderr.
[[nodiscard]] result<void> attach_terminal(int slave);

/// Moves what is readable from `from` to `to`; false at end of file or when
/// the pty's last slave closed (EIO).
[[nodiscard]] bool pump(int from, int to) noexcept;

}  // namespace bottle::run::native
