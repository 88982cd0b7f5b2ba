// tools/bottle-run/run_cli.hpp — the command line of bottle-run.
//
//   bottle-run [--manifest PATH] [--bottle NAME]... [--workspace DIR]
//              [--backend NAME] [--json] [--dry-run] [--] COMMAND [ARG...]
//   bottle-run agent NAME [--bottle NAME]... [--workspace DIR] [--dry-run] [-- ARG...]
//   bottle-run ls [--json] | stop ID | gc | explain [--bottle NAME]...
//
// Exit status: the agent's own; 125 when bottle-run itself failed (usage,
// manifest, a launch step: the reason and a remedy on stderr); 126 the
// command was found but cannot be run; 127 it was not found in the bottle.
#pragma once

#include "bottle/result.hpp"

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace bottle::run {

inline constexpr int exit_launcher_failed = 125;
inline constexpr int exit_cannot_run = 126;
inline constexpr int exit_not_found = 127;

[[nodiscard]] std::string usage_text();

struct options {
    std::string command{"run"};              ///< run, agent, ls, stop, gc, explain
    std::optional<std::string> manifest{};
    std::vector<std::string> bottles{};
    std::optional<std::string> workspace{};
    std::optional<std::string> backend{};    ///< --backend; chosen with BOT_BOTTLE_BACKEND by select_backend
    bool json = false;
    bool dry_run = false;
    bool pick = false;                       ///< no agent NAME / COMMAND on a terminal: the launch picker chooses
    std::optional<std::string> image{};      ///< --image: the docker backend's agent image
    bool require_gvisor = false;             ///< --require-gvisor: docker refuses to start without runsc
    bool help = false, version = false;
    std::string target{};                    ///< agent NAME or stop ID
    std::vector<std::string> argv{};         ///< COMMAND [ARG...] or the agent's extra ARGs
};

/// Parses the arguments (without argv[0]). Options end at "--" or at the
/// first word that is not an option (the command or a subcommand), so the
/// command's own options are never read as ours. Errors: invalid_argument.
/// `terminal` (stdin and stdout are one): `agent` without a NAME, or no
/// COMMAND, sets `pick` (the launch picker) instead of being an error.
[[nodiscard]] result<options> parse_arguments(const std::vector<std::string>& args, bool terminal = false);

/// The tool: `env` is the launcher's environment (TERM/LANG pass into the
/// bottle through the allowlist; HOME and XDG_CONFIG_HOME locate the
/// manifest; BOT_BOTTLE_PROVIDERS the provider templates; BOT_BOTTLE_BACKEND
/// the backend; an agent's provider takes its credential variables from it).
[[nodiscard]] int run_main(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                           std::ostream& out, std::ostream& err);

}  // namespace bottle::run
