// bottle/os/spawn.hpp — run a program to completion, bounded in time and output.
//
// `spawn` forks and execs argv (no shell) in a new process group, feeds stdin,
// captures stdout and stderr up to a cap, and returns when the program has
// exited — or when the deadline passes: then the whole group is SIGKILLed and
// the program reaped (a stuck `docker`, or a grandchild that ignores SIGTERM,
// can never hang the caller). Failures to start are errors that say which
// step failed and why, with exec's "not found" and "not executable" apart;
// a program that ran and failed is a value (exit code or signal).
//
// The child gets exactly stdin, stdout and stderr: every other descriptor is
// closed at exec, every signal is reset to its default disposition and none
// is blocked, whatever the caller's thread had.
#pragma once

#include "bottle/result.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace bottle::os {

/// Where the child's stderr goes.
enum class stderr_mode {
    capture,  ///< its own capture, `spawn_output::err`
    merge,    ///< into stdout's capture, interleaved as written
    discard,  ///< /dev/null
};

struct spawn_request {
    /// Program and arguments. argv[0] with a '/' is used as is; otherwise it
    /// is looked up on the caller's PATH (absolute entries only: never the
    /// working directory). Must not be empty.
    std::vector<std::string> argv{};
    /// "NAME=value" entries; nullopt inherits the caller's environment.
    std::optional<std::vector<std::string>> env{};
    /// Working directory of the child; nullopt keeps the caller's.
    std::optional<std::string> cwd{};
    /// Bytes fed to stdin, then end of file; nullopt means /dev/null.
    std::optional<std::string> stdin_bytes{};
    stderr_mode stderr_to = stderr_mode::capture;
    /// Bytes kept per captured stream; the rest is read and dropped (the
    /// child never blocks on a full pipe) and the output marked truncated.
    std::size_t output_cap = 256 * 1024;
    /// From the call to the group kill. Must be positive.
    std::chrono::milliseconds timeout{10'000};
    /// After the program exits, how long to keep reading output that a
    /// background grandchild still holds open (its pipes are not waited for).
    std::chrono::milliseconds drain_after_exit{200};
};

/// What a program that was started did.
struct spawn_output {
    int pid = -1;               ///< also its process group id
    int exit_code = -1;         ///< exit status; -1 when killed by a signal or timed out
    int term_signal = 0;        ///< the signal that ended it, 0 if it exited
    bool timed_out = false;     ///< the deadline passed and the group was SIGKILLed
    bool reaped = false;        ///< waited for; false only if SIGKILL did not end it within 2 s
    std::string out{};          ///< stdout (and stderr when merged), at most output_cap bytes
    std::string err{};          ///< stderr when captured apart
    bool out_truncated = false; ///< stdout had more than output_cap bytes
    bool err_truncated = false;

    /// Exited on its own with status 0.
    [[nodiscard]] bool succeeded() const noexcept { return !timed_out && term_signal == 0 && exit_code == 0; }
};

/// Runs `request` (see the banner). Errors, each naming the program or path:
/// invalid_argument (empty argv, non-positive timeout, NUL in a string);
/// not_found (argv[0] not on PATH or absent; cwd absent); permission_denied
/// (argv[0] found but not executable: no x bit, a directory, not a program
/// format the kernel runs; cwd not enterable); io_error (pipe, fork or
/// another child set-up step failed).
[[nodiscard]] result<spawn_output> spawn(const spawn_request& request);

}  // namespace bottle::os
