// tools/bottle-preflight/preflight.hpp — the command line of bottle-preflight.
//
// `run_preflight(args, probes, out, err, colour)` is the whole tool minus the
// real OS: it parses the arguments, runs every check of the chosen backends
// (all failures are listed in one run), prints text or the versioned JSON
// document, and returns the exit code: 0 nothing failed (warnings allowed),
// 1 at least one check failed, 2 usage error (the message says what was wrong,
// followed by the usage).
#pragma once

#include "checks_docker.hpp"
#include "checks_native.hpp"
#include "checks_smolvm.hpp"
#include "system_probes.hpp"

#include "bottle/report/json_writer.hpp"
#include "bottle/report/text_writer.hpp"

#include <algorithm>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::preflight {

#ifdef BOTTLE_VERSION
inline constexpr std::string_view tool_version = BOTTLE_VERSION;
#else
inline constexpr std::string_view tool_version = "0.1.0";
#endif

inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;
inline constexpr int exit_usage = 2;

/// The backends, in the order checks run and print.
const std::vector<std::string>& known_backends();

[[nodiscard]] std::string usage_text();

struct options {
    std::vector<std::string> backends{};  ///< in known_backends() order, no duplicates
    bool json = false;
    bool help = false;
    bool version = false;
};

/// Parses the arguments (without argv[0]). Unknown options, a missing or
/// unknown backend are errc::invalid_argument with a message for the user.
[[nodiscard]] result<options> parse_arguments(const std::vector<std::string>& args);

/// Runs every check of `backends` (names from known_backends()).
[[nodiscard]] std::vector<check_result> run_checks(system_probes& p, const std::vector<std::string>& backends);

/// The JSON document: {"schema":"bot-bottle/preflight/v1","tool","version",
/// "backends":[...],"ok":bool,"summary":{ok,warn,fail},"checks":[...]}.
[[nodiscard]] boost::json::object preflight_document(const std::vector<std::string>& backends,
                                                            const std::vector<check_result>& checks);

/// The tool. `args` excludes argv[0]; `colour` is the caller's TTY policy.
[[nodiscard]] int run_preflight(const std::vector<std::string>& args, system_probes& p, std::ostream& out,
                                       std::ostream& err, bool colour);

}  // namespace bottle::preflight
