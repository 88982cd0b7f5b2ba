// escape-tests/lab/system.hpp — running commands for the lab, with deadlines.
#pragma once

#include <string>
#include <vector>

namespace bottle::escape::lab {

struct command_result {
    bool started = false;  ///< exec succeeded
    bool timed_out = false;
    int exit_code = -1;    ///< -1 when killed or not started
    std::string output;    ///< stdout+stderr (capped 64 KiB)
    [[nodiscard]] bool ok() const { return started && !timed_out && exit_code == 0; }
};

/// Runs argv (PATH lookup) with stdin from /dev/null, capturing stdout and
/// stderr, killing its process group after `timeout_ms`.
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
