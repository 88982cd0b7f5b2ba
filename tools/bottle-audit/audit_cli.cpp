#include "bottle-audit/audit_cli.hpp"

#include "common/cli.hpp"

#include <fstream>

namespace bottle::audit {

std::string usage_text() {
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
           "  --version          show the version\n"
           "\n"
           "Exit status: 0 nothing at or above the threshold, 1 a finding is, 2 could not audit\n"
           "(usage error, missing or unreadable database, manifest refused by the loader).\n"
           "\n"
           "Examples:\n"
           "  bottle-audit smolvm --fail-on medium\n"
           "  bottle-audit smolvm --db /var/lib/smolvm/server/smolvm.db --json | jq '.findings[].id'\n"
           "  bottle-audit manifest ~/.config/bot-bottle/manifests --junit audit.xml\n";
}

result<options> parse_arguments(const std::vector<std::string>& args) {
    options o;
    std::string db, pool, fail_on, junit, sarif;
    std::vector<std::string> positional;
    auto app_ptr = cli::make_app("bottle-audit", "read-only audits");
    auto& app = *app_ptr;
    auto* db_opt = cli::add_once(app, "--db", db, "smolvm database");
    auto* pool_opt = cli::add_once(app, "--pool", pool, "loopback pool");
    cli::add_once(app, "--fail-on", fail_on, "threshold");
    cli::add_once(app, "--junit", junit, "JUnit file");
    cli::add_once(app, "--sarif", sarif, "SARIF file");
    cli::add_flag(app, "--json", o.json, "print JSON");
    app.add_option("command", positional, "smolvm | manifest PATH");
    auto parsed = cli::parse(app, args);
    if (!parsed) return parsed.error();
    if (*parsed == cli::outcome::help) { o.help = true; return o; }
    if (*parsed == cli::outcome::version) { o.version = true; return o; }
    if (db_opt->count() > 0) o.db = db;
    const bool pool_given = pool_opt->count() > 0;
    if (pool_given) o.pool = pool;
    if (!junit.empty()) o.junit = junit;
    if (!sarif.empty()) o.sarif = sarif;
    if (!fail_on.empty()) {
        auto s = report::parse_severity(fail_on);
        if (!s) return make_error(errc::invalid_argument, "--fail-on: " + s.error().message);
        o.fail_on = *s;
    }
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

}  // namespace bottle::audit

namespace bottle::audit::detail {

result<void> write_file(const std::string& path, const std::string& text, std::string_view what) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (f) f << text;
    if (f) f.close();
    if (!f) return make_error(errc::io_error, "cannot write the " + std::string(what) + " report to " + path +
                                                  "; check that its directory exists and is writable");
    return {};
}

std::string hint_for(const error& e, const options& o) {
    if (o.command == "smolvm" && e.code == make_error_code(errc::database_error))
        return "check that the file is smolvm's state database (smolvm >= 0.6) and readable by you: run as the user "
               "whose machines it holds, or pass --db PATH";
    if (o.command == "smolvm" && e.code == make_error_code(errc::limit_exceeded))
        return "the database is larger than bottle-audit reads in one run";
    if (o.command == "manifest")
        return "fix the manifest (see docs/manifest.md); nothing was audited";
    return "";
}

}  // namespace bottle::audit::detail

namespace bottle::audit {

int run_audit(const std::vector<std::string>& args, const smolvm::env_lookup& env, std::ostream& out,
                                   std::ostream& err, bool colour) {
    auto opts = parse_arguments(args);
    if (!opts) return cli::usage_failure(err, "bottle-audit", opts.error(), usage_text());
    if (opts->help) {
        out << usage_text();
        return exit_clean;
    }
    if (opts->version) {
        out << "bottle-audit " << tool_version << '\n';
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
