// tools/bottle-run/launch_record.hpp — what a launch was asked to run, kept
// so `bottle-run resume ID` can launch it again.
//
// Written at start as <state dir>/<id>.launch.json, beside the state file,
// and kept after the bottle ends (the state file goes; `gc` removes records
// older than `launch_record_max_age`: not each launch, which would read them
// all). A record holds *names*, never resolved values: resume loads the manifest again and resolves the same
// agent and bottles, so it runs what the manifest says now (the recorded
// canonical bottle only tells the user when that changed). It holds no
// environment and no credential: those come from the resuming shell.
#pragma once

#include "bottle-run/run_cli.hpp"

#include "bottle/result.hpp"

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace bottle::run {

/// Records older than this (seconds) are removed by `gc`.
inline constexpr long long launch_record_max_age = 30LL * 24 * 3600;

struct launch_record {
    std::string id{};
    std::string command{"run"};               ///< "run" or "agent"
    std::string agent{};                      ///< the agent's name (command "agent")
    std::optional<std::string> manifest{};    ///< absolute; absent: the default directory
    std::vector<std::string> bottles{};       ///< --bottle, in order (agent: empty = its own list)
    std::optional<std::string> workspace{};   ///< absolute
    std::optional<std::string> backend{};     ///< the backend it ran with (--backend, BOT_BOTTLE_BACKEND or the bottle's)
    std::optional<std::string> image{};       ///< docker: --image / BOT_BOTTLE_DOCKER_IMAGE, when given (else built from the recipe)
    bool require_gvisor = false;              ///< docker: --require-gvisor / BOT_BOTTLE_REQUIRE_GVISOR=1
    std::vector<std::string> argv{};          ///< the command (run) or the agent's extra ARGs
    std::string canonical{};                  ///< the resolved bottle then (to notice a change)
    long long started = 0;                    ///< unix seconds
};

/// The record of a launch about to start: options as parsed, with the
/// manifest and workspace made absolute (a resume may run elsewhere).
[[nodiscard]] launch_record record_for(const options& o, const std::string& id, const std::optional<std::string>& workspace,
                                       const std::string& canonical);

/// Writes <dir>/<id>.launch.json (0600). Errors: io_error, permission_denied.
[[nodiscard]] result<void> write_launch_record(const std::string& dir, const launch_record& r);

/// Reads the record of `id`. Errors: not_found (no such record: names the
/// directory), invalid_argument (an id that is not one: only [a-z0-9-]),
/// parse_error (unreadable or not a record).
[[nodiscard]] result<launch_record> read_launch_record(const std::string& dir, const std::string& id);

/// The command line (without argv[0]) that launches `r` again: its
/// manifest, bottles, workspace, backend, docker image and gVisor
/// requirement, agent and command. From the resume command line: ARGs after
/// `--` replace the recorded ones; --backend and --image override the
/// recorded ones; --require-gvisor, --dry-run and --json are passed on.
[[nodiscard]] std::vector<std::string> resume_arguments(const launch_record& r, const options& resume);

/// `bottle-run resume ID`: reads the record from state_directory() and runs
/// run_main with resume_arguments (a new bottle id; the old bottle's state
/// is not reused). 125 with the reason when there is no such record.
[[nodiscard]] int resume_command(const options& o, const std::map<std::string, std::string>& env, std::ostream& out,
                                 std::ostream& err);

/// Writes the record of the launch about to start to state_directory();
/// a failure is a warning on `err` (the launch goes on, only resume is lost).
void note_launch(const options& o, const std::string& id, const std::optional<std::string>& workspace,
                 const std::string& canonical, std::ostream& err);

/// gc: removes records older than launch_record_max_age whose bottle is
/// not running. Returns how many went.
int collect_launch_records(const std::string& dir, long long now);

}  // namespace bottle::run
