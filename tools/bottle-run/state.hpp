// tools/bottle-run/state.hpp — running bottles, as files.
//
// Each launch writes <state dir>/<id>.json (state_directory(): the user's
// $XDG_RUNTIME_DIR/bot-bottle or /run/bot-bottle) and removes it at
// teardown. A launcher killed with SIGKILL leaves its file behind: the
// bottle itself died with it (parent-death signal, PID 1 of its pid
// namespace), and `gc` removes the file, a leftover proxy and the cgroups,
// and the decision logs (<id>.egress.log) of bottles that are gone.
#pragma once

#include "bottle-run/run_cli.hpp"

#include "bottle/result.hpp"

#include <sys/types.h>

#include <ostream>
#include <string>
#include <vector>

namespace bottle::run {

struct state_record {
    std::string id{};
    pid_t launcher_pid = -1, init_pid = -1, proxy_pid = -1;
    std::string bottle{};
    std::vector<std::string> argv{};
    std::vector<std::string> cgroups{};
    long long started = 0;  ///< unix seconds
};

/// `prefix` and 12 random hex digits (getrandom; a pid- and clock-derived
/// fallback if it fails): a bottle's id ("bb-"), a pool entry's ("bp-").
[[nodiscard]] std::string new_random_id(const std::string& prefix);

/// Creates `dir` (and parents) if missing and makes it 0700; it must be a
/// directory owned by this user (not a symlink). Errors: permission_denied.
[[nodiscard]] result<void> ensure_state_dir(const std::string& dir);
[[nodiscard]] result<void> write_state(const std::string& dir, const state_record& r);
void remove_state(const std::string& dir, const std::string& id) noexcept;
[[nodiscard]] result<std::vector<state_record>> read_states(const std::string& dir);
/// The launcher of `r` still runs (its pid exists and is a bottle-run).
[[nodiscard]] bool launcher_alive(const state_record& r);

/// ls, stop ID, gc.
[[nodiscard]] int state_command(const options& o, std::ostream& out, std::ostream& err);

}  // namespace bottle::run
