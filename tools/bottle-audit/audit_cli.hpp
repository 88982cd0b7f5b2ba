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

[[nodiscard]] inline std::string usage_text() {
    return "usage: bottle-audit smolvm [--db PATH] [--pool CIDR] [OPTIONS]\n"
           "       bottle-audit manifest PATH [OPTIONS]\n"
           "\n"
           "Read-only audits that find bottles whose confinement is weaker than promised.\n"
           "  smolvm     judge every machine in smolvm's state database (egress allowlists)\n"
           "  manifest   lint the resolved bottles of a manifest file or directory\n"
           "\n"
           "  --db PATH          smolvm database (default: $SMOLVM_DATA_DIR, $XDG_DATA_HOME or\n"
           "                     ~/.local/share, then smolvm/server/smolvm.db)\n"
           "  --pool CIDR        the loopback pool aliases come from (default 127.0.0.16/28)\n"
           "  --fail-on SEV      exit 1 when a finding is SEV or worse: critical, high (default),\n"
           "                     medium, low, info\n"
           "  --json             print a bot-bottle/audit/v1 JSON document instead of text\n"
           "  --junit FILE       also write JUnit XML (one test case per machine or bottle)\n"
           "  --sarif FILE       also write a SARIF 2.1.0 log\n"
           "  --help             show this help\n"
           "\n"
           "Exit status: 0 nothing at or above the threshold, 1 a finding is, 2 could not audit\n"
           "(usage error, missing or unreadable database, manifest refused by the loader).\n"
           "\n"
           "Examples:\n"
           "  bottle-audit smolvm --fail-on medium\n"
           "  bottle-audit smolvm --db /var/lib/smolvm/server/smolvm.db --json | jq '.findings[].id'\n"
           "  bottle-audit manifest ~/.config/bot-bottle/manifests --junit audit.xml\n";
}

struct options {
    std::string command{};                   ///< "smolvm" or "manifest"
    std::optional<std::string> db{};         ///< --db
    std::string pool{default_pool};          ///< --pool
    std::string manifest_path{};             ///< manifest PATH
    bool json = false;
    std::optional<std::string> junit{}, sarif{};
    report::severity fail_on = report::severity::high;
    bool help = false;
};

/// Parses the arguments (without argv[0]). Errors (errc::invalid_argument)
/// say what was wrong: unknown option or command, a missing value, an option
/// of the other command, a repeated option, a bad severity.
[[nodiscard]] inline result<options> parse_arguments(const std::vector<std::string>& args) {
    options o;
    bool pool_given = false;
    std::vector<std::string> positional;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") { o.help = true; continue; }
        if (a == "--json") { o.json = true; continue; }
        if (a.size() < 2 || a.rfind("--", 0) != 0) {
            if (!a.empty() && a[0] == '-' && a != "-") return make_error(errc::invalid_argument, "unknown option '" + a + "'");
            positional.push_back(a);
            continue;
        }
        std::string name = a, value;
        bool has_value = false;
        if (auto eq = a.find('='); eq != std::string::npos) { name = a.substr(0, eq); value = a.substr(eq + 1); has_value = true; }
        if (name != "--db" && name != "--pool" && name != "--fail-on" && name != "--junit" && name != "--sarif")
            return make_error(errc::invalid_argument, "unknown option '" + name + "'");
        if (!has_value) {
            if (i + 1 >= args.size()) return make_error(errc::invalid_argument, name + " needs a value");
            value = args[++i];
        }
        if (value.empty()) return make_error(errc::invalid_argument, name + " was given an empty value");
        auto once = [&](auto& slot) -> result<void> {
            if (slot) return make_error(errc::invalid_argument, name + " was given twice");
            slot = value;
            return {};
        };
        if (name == "--db") { if (auto r = once(o.db); !r) return r.error(); }
        else if (name == "--junit") { if (auto r = once(o.junit); !r) return r.error(); }
        else if (name == "--sarif") { if (auto r = once(o.sarif); !r) return r.error(); }
        else if (name == "--pool") {
            if (pool_given) return make_error(errc::invalid_argument, "--pool was given twice");
            pool_given = true;
            o.pool = value;
        } else {
            auto s = report::parse_severity(value);
            if (!s) return make_error(errc::invalid_argument, "--fail-on: " + s.error().message);
            o.fail_on = *s;
        }
    }
    if (o.help) return o;
    if (positional.empty()) return make_error(errc::invalid_argument, "missing command: smolvm or manifest");
    o.command = positional[0];
    if (o.command == "smolvm") {
        if (positional.size() > 1) return make_error(errc::invalid_argument, "smolvm takes no argument '" + positional[1] + "' (use --db PATH)");
    } else if (o.command == "manifest") {
        if (positional.size() < 2) return make_error(errc::invalid_argument, "manifest needs a PATH (a manifest file or directory)");
        if (positional.size() > 2) return make_error(errc::invalid_argument, "manifest takes one PATH, got also '" + positional[2] + "'");
        if (o.db || pool_given) return make_error(errc::invalid_argument, "--db and --pool apply to `bottle-audit smolvm` only");
        o.manifest_path = positional[1];
    } else {
        return make_error(errc::invalid_argument, "unknown command '" + o.command + "' (expected smolvm or manifest)");
    }
    if (o.junit && o.sarif && *o.junit == *o.sarif)
        return make_error(errc::invalid_argument, "--junit and --sarif name the same file " + *o.junit);
    return o;
}

namespace detail {

[[nodiscard]] inline result<void> write_file(const std::string& path, const std::string& text, std::string_view what) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (f) f << text;
    if (f) f.close();
    if (!f) return make_error(errc::io_error, "cannot write the " + std::string(what) + " report to " + path +
                                                  "; check that its directory exists and is writable");
    return {};
}

/// What to do about an audit that could not run, beyond the library's message.
[[nodiscard]] inline std::string hint_for(const error& e, const options& o) {
    if (o.command == "smolvm" && e.code == make_error_code(errc::database_error))
        return "check that the file is smolvm's state database (smolvm >= 0.6) and readable by you: run as the user "
               "whose machines it holds, or pass --db PATH";
    if (o.command == "smolvm" && e.code == make_error_code(errc::limit_exceeded))
        return "the database is larger than bottle-audit reads in one run";
    if (o.command == "manifest")
        return "fix the manifest (see docs/manifest.md); nothing was audited";
    return "";
}

}  // namespace detail

/// The tool. `args` excludes argv[0]; `env` supplies HOME, XDG_DATA_HOME and
/// SMOLVM_DATA_DIR for the default database path; `colour` is the caller's
/// TTY/NO_COLOR policy for text on `out`.
[[nodiscard]] inline int run_audit(const std::vector<std::string>& args, const smolvm::env_lookup& env, std::ostream& out,
                                   std::ostream& err, bool colour) {
    auto opts = parse_arguments(args);
    if (!opts) {
        err << "bottle-audit: " << opts.error().message << "\n\n" << usage_text();
        return exit_cannot_audit;
    }
    if (opts->help) {
        out << usage_text();
        return exit_clean;
    }
    auto fail = [&](const error& e) {
        err << "bottle-audit: could not audit: " << report::printable(e.message) << '\n';
        if (auto hint = detail::hint_for(e, *opts); !hint.empty()) err << "bottle-audit: " << hint << '\n';
        return exit_cannot_audit;
    };
    result<audit_outcome> outcome = make_error(errc::internal, "no audit ran");
    if (opts->command == "smolvm") {
        auto pool = parse_pool(opts->pool);
        if (!pool) {
            err << "bottle-audit: " << pool.error().message << "\n\n" << usage_text();
            return exit_cannot_audit;
        }
        auto path = smolvm::database_path(opts->db, smolvm::current_platform(), env);
        if (!path) return fail(path.error());
        outcome = audit_smolvm_db(*path, *pool);
    } else {
        outcome = audit_manifest_path(opts->manifest_path);
    }
    if (!outcome) return fail(outcome.error());
    if (opts->junit) {
        auto xml = report::to_junit_xml(audit_junit(*outcome, opts->fail_on));
        if (!xml) return fail(xml.error());
        if (auto w = detail::write_file(*opts->junit, *xml, "JUnit"); !w) return fail(w.error());
    }
    if (opts->sarif) {
        if (auto w = detail::write_file(*opts->sarif, report::to_pretty_json(audit_sarif(*outcome)), "SARIF"); !w)
            return fail(w.error());
    }
    if (opts->json) out << report::to_pretty_json(audit_document(*outcome, opts->fail_on));
    else write_text(out, *outcome, opts->fail_on, report::text_style{colour});
    out.flush();
    return report::count_at_least(outcome->findings, opts->fail_on) == 0 ? exit_clean : exit_findings;
}

}  // namespace bottle::audit
