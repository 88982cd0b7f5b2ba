// escape-tests/lab/lab_tty.hpp — the terminal the sandbox is started from.
//
// A careless launcher starts an agent from the user's terminal, and an agent
// holding that terminal can type into the user's shell after it exits
// (TIOCSTI pushes bytes into a terminal's input queue). So the lab host
// starts the sandbox in a new session whose controlling terminal (and stdin)
// is a pty the lab made, and afterwards reads that terminal's input queue
// itself: ipc.tty_inject escaped only when its tag is there (issue 8 §5).
// The pty's window size carries the run (lab_plan.hpp tty_window), so the
// probe types only into the lab's terminal, never into one it cannot name.
#pragma once

#include "../protocol/lines.hpp"

#include <bottle/result.hpp>

#include <string>

namespace bottle::escape::lab {

class lab_tty {
public:
    lab_tty() = default;
    lab_tty(const lab_tty&) = delete;
    lab_tty& operator=(const lab_tty&) = delete;
    ~lab_tty();

    /// Opens a pty pair (raw mode, the run's window size), both ends kept
    /// here close-on-exec. A failure is a staging failure (a run error).
    result<void> open(const std::string& nonce);
    /// In the sandbox's child, before exec: a new session whose controlling
    /// terminal is the pty's slave, also dup'ed on fd 0. False on failure.
    [[nodiscard]] bool attach_as_controlling(int stdin_fd) const;
    /// Everything waiting in the terminal's input queue, read without
    /// blocking (what was injected), as a lab event; nullopt when empty.
    [[nodiscard]] std::optional<protocol::lab_event> drain_input() const;
    [[nodiscard]] const std::string& name() const { return name_; }

private:
    int master_ = -1, slave_ = -1;
    std::string name_;
};

}  // namespace bottle::escape::lab
