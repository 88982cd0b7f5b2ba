// tools/bottle-audit/audit_cli.hpp — the command line of bottle-audit.
//
// `run_audit(args, env, out, err, colour)` is the whole tool minus the real
// process environment: it parses the arguments, runs one audit, prints text
// (or the JSON document with --json), writes --junit / --sarif files, and
// returns the exit code:
//   0  no finding reaches the --fail-on threshold (default high)
//   1  at least one finding does
//   2  could not audit: usage error, missing or unreadable database, a
//      manifest the strict loader refuses, a report file that cannot be
//      written. Never 0 when the input could not be read.
// Messages for 2 go to stderr and say what failed, where, and what to do.
#pragma once

#include "audit_output.hpp"
#include "manifest_audit.hpp"
#include "sarif_output.hpp"
#include "smolvm_audit.hpp"

#include "bottle/smolvm/db_path.hpp"

#include <fstream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::audit {

inline constexpr int exit_clean = 0;
inline constexpr int exit_findings = 1;
inline constexpr int exit_cannot_audit = 2;

[[nodiscard]] std::string usage_text();

struct options {
    std::string command{};                   ///< "smolvm" or "manifest"
    std::optional<std::string> db{};         ///< --db
    std::string pool{default_pool};          ///< --pool
    std::string manifest_path{};             ///< manifest PATH
    bool json = false;
    std::optional<std::string> junit{}, sarif{};
    report::severity fail_on = report::severity::high;
    bool help = false;
    bool version = false;
};

/// Parses the arguments (without argv[0]). Errors (errc::invalid_argument)
/// say what was wrong: unknown option or command, a missing value, an option
/// of the other command, a repeated option, a bad severity.
[[nodiscard]] result<options> parse_arguments(const std::vector<std::string>& args);

namespace detail {

[[nodiscard]] result<void> write_file(const std::string& path, const std::string& text, std::string_view what);

/// What to do about an audit that could not run, beyond the library's message.
[[nodiscard]] std::string hint_for(const error& e, const options& o);

}  // namespace detail

/// The tool. `args` excludes argv[0]; `env` supplies HOME, XDG_DATA_HOME and
/// SMOLVM_DATA_DIR for the default database path; `colour` is the caller's
/// TTY/NO_COLOR policy for text on `out`.
[[nodiscard]] int run_audit(const std::vector<std::string>& args, const smolvm::env_lookup& env, std::ostream& out,
                                   std::ostream& err, bool colour);

}  // namespace bottle::audit
