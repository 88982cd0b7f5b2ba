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
inline const std::vector<std::string>& known_backends() {
    static const std::vector<std::string> names{"native", "docker", "smolmachines"};
    return names;
}

[[nodiscard]] inline std::string usage_text() {
    return "usage: bottle-preflight [--backend native|docker|smolmachines|all] [--json] [--help]\n"
           "\n"
           "Checks this host's prerequisites for running bottles and lists every failing\n"
           "one with its remedy. --backend may be repeated; the default is all.\n"
           "\n"
           "  --backend B   check only backend B (native, docker, smolmachines, all)\n"
           "  --json        print a bot-bottle/preflight/v1 JSON document\n"
           "  --help        show this help\n"
           "\n"
           "Exit status: 0 nothing failed (warnings allowed), 1 a check failed, 2 usage error.\n"
           "\n"
           "Example:\n"
           "  bottle-preflight --backend native      # in a CI runner image: fail fast, list every fix\n"
           "  bottle-preflight --json | jq '.checks[] | select(.status == \"fail\") | .remedy'\n";
}

struct options {
    std::vector<std::string> backends{};  ///< in known_backends() order, no duplicates
    bool json = false;
    bool help = false;
};

/// Parses the arguments (without argv[0]). Unknown options, a missing or
/// unknown backend are errc::invalid_argument with a message for the user.
[[nodiscard]] inline result<options> parse_arguments(const std::vector<std::string>& args) {
    options o;
    std::vector<std::string> chosen;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") { o.help = true; continue; }
        if (a == "--json") { o.json = true; continue; }
        std::string value;
        if (a == "--backend") {
            if (i + 1 >= args.size()) return make_error(errc::invalid_argument, "--backend needs a value");
            value = args[++i];
        } else if (a.rfind("--backend=", 0) == 0) {
            value = a.substr(10);
        } else {
            return make_error(errc::invalid_argument, "unknown option '" + a + "'");
        }
        if (value == "all") {
            chosen.insert(chosen.end(), known_backends().begin(), known_backends().end());
        } else if (std::find(known_backends().begin(), known_backends().end(), value) != known_backends().end()) {
            chosen.push_back(value);
        } else {
            return make_error(errc::invalid_argument,
                              "unknown backend '" + value + "' (expected native, docker, smolmachines or all)");
        }
    }
    if (chosen.empty()) chosen = known_backends();
    for (const auto& b : known_backends()) {
        if (std::find(chosen.begin(), chosen.end(), b) != chosen.end()) o.backends.push_back(b);
    }
    return o;
}

/// Runs every check of `backends` (names from known_backends()).
[[nodiscard]] inline std::vector<check_result> run_checks(system_probes& p, const std::vector<std::string>& backends) {
    std::vector<check_result> all;
    for (const auto& b : backends) {
        auto part = b == "native" ? native_checks(p) : b == "docker" ? docker_checks(p) : smolvm_checks(p);
        all.insert(all.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
    return all;
}

/// The JSON document: {"schema":"bot-bottle/preflight/v1","tool","version",
/// "backends":[...],"ok":bool,"summary":{ok,warn,fail},"checks":[...]}.
[[nodiscard]] inline boost::json::object preflight_document(const std::vector<std::string>& backends,
                                                            const std::vector<check_result>& checks) {
    boost::json::array names;
    for (const auto& b : backends) names.emplace_back(b);
    const auto summary = report::summarize(checks);
    boost::json::object body{{"tool", "bottle-preflight"},
                             {"version", tool_version},
                             {"backends", std::move(names)},
                             {"ok", summary.fail == 0},
                             {"summary", report::to_json(summary)},
                             {"checks", report::to_json_array(checks)}};
    return report::make_document("preflight", body).value();  // body has no "schema": cannot fail
}

/// The tool. `args` excludes argv[0]; `colour` is the caller's TTY policy.
[[nodiscard]] inline int run_preflight(const std::vector<std::string>& args, system_probes& p, std::ostream& out,
                                       std::ostream& err, bool colour) {
    auto opts = parse_arguments(args);
    if (!opts) {
        err << "bottle-preflight: " << opts.error().message << "\n\n" << usage_text();
        return exit_usage;
    }
    if (opts->help) {
        out << usage_text();
        return exit_ok;
    }
    const auto checks = run_checks(p, opts->backends);
    const auto summary = report::summarize(checks);
    if (opts->json) {
        out << report::to_pretty_json(preflight_document(opts->backends, checks));
    } else {
        std::string list;
        for (const auto& b : opts->backends) list += (list.empty() ? "" : ", ") + b;
        out << "bottle-preflight: checking " << list << '\n';
        report::write_checks(out, checks, report::text_style{colour});
    }
    out.flush();
    return summary.fail == 0 ? exit_ok : exit_failed;
}

}  // namespace bottle::preflight
