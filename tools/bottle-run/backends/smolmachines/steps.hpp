// tools/bottle-run/backends/smolmachines/steps.hpp — the OS side of the
// smolvm spine: finding smolvm, checking /dev/kvm, running one smolvm
// command bounded in time, and running the agent with signals forwarded.
#pragma once

#include "bottle/os/signals.hpp"
#include "bottle/os/spawn.hpp"
#include "bottle/result.hpp"

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace bottle::run::smolmachines {

/// The first executable `name` in the absolute entries of `path_var`.
[[nodiscard]] std::optional<std::string> find_on_path(const std::string& name, const std::string& path_var);

/// `device` opens read-write. Errors: not_found / permission_denied / io_error,
/// each saying what to do.
[[nodiscard]] result<void> check_kvm(const std::string& device);

/// Runs one smolvm command (no stdin, output captured) in its own process
/// group, SIGKILLed with its group when `timeout` passes.
[[nodiscard]] result<os::spawn_output> run_step(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                                std::chrono::milliseconds timeout);

/// As above, and a signal read from `sigs` (SIGINT, SIGTERM, SIGHUP,
/// SIGQUIT: the launch's) ends the step at once, its group SIGKILLed:
/// `signalled` is then that signal (0 otherwise), so a `bottle-run stop`
/// during a hung `machine create` tears down now, not after the deadline.
[[nodiscard]] result<os::spawn_output> run_step(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                                std::chrono::milliseconds timeout, os::signal_fd& sigs, int& signalled);

/// "exit 1: Error: ..." / "timed out after N s" / "killed by signal N".
[[nodiscard]] std::string step_failure(const os::spawn_output& out);

/// Runs `argv` (smolvm machine exec ...) with the launcher's stdin, stdout,
/// stderr and terminal; SIGTERM/SIGHUP/SIGQUIT (and SIGINT unless the
/// terminal already delivered it) read from `sigs` are forwarded, SIGKILL
/// 10 s later. Returns its exit code, or 128+N when signal N ended it.
[[nodiscard]] int exec_agent(const std::vector<std::string>& argv, const std::vector<std::string>& env, bool interactive,
                             os::signal_fd& sigs, std::ostream& err);

}  // namespace bottle::run::smolmachines
