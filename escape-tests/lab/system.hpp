// escape-tests/lab/system.hpp — running commands for the lab, with deadlines.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace bottle::escape::lab {

/// The most output run_command keeps (stdout and stderr together).
inline constexpr std::size_t max_command_output = 64 * 1024;

struct command_result {
    bool started = false;  ///< exec succeeded
    bool timed_out = false;
    int exit_code = -1;    ///< -1 when killed or not started
    std::string output;    ///< stdout+stderr (capped 64 KiB); why it did not start when !started
    [[nodiscard]] bool ok() const { return started && !timed_out && exit_code == 0; }
};

/// Runs argv (PATH lookup) with stdin from /dev/null, capturing stdout and
/// stderr, killing its process group after `timeout_ms`. A thin wrapper over
/// os::spawn (bottle/os/spawn.hpp), which holds the guarantees: the program
/// gets only stdio, a grandchild that outlives it is not waited for beyond
/// 200 ms, and one that ignores SIGTERM still dies with the group.
command_result run_command(const std::vector<std::string>& argv, int timeout_ms = 10000,
                           const std::vector<std::string>* env = nullptr);

/// "a b 'c d'" — for messages.
std::string quote_command(const std::vector<std::string>& argv);

/// Absolute path of `name` found on PATH or in `extra_dirs`, or "" if none.
std::string find_program(const std::string& name, const std::vector<std::string>& extra_dirs = {});

/// Every process id in /proc except the caller's, ascending.
std::vector<int> list_pids();

/// 16 random bytes as 32 lowercase hex digits from /dev/urandom (n <= 32).
std::string random_hex(std::size_t digits);

}  // namespace bottle::escape::lab
