#include "bottle-preflight/preflight.hpp"

#include "common/cli.hpp"

#include <algorithm>

namespace bottle::preflight {

const std::vector<std::string>& known_backends() {
    static const std::vector<std::string> names{"native", "docker", "smolmachines"};
    return names;
}

std::string usage_text() {
    return "usage: bottle-preflight [--backend native|docker|smolmachines|all] [--json] [--help] [--version]\n"
           "\n"
           "Checks this host's prerequisites for running bottles and lists every failing\n"
           "one with its remedy. --backend may be repeated; the default is all.\n"
           "\n"
           "  --backend B   check only backend B (native, docker, smolmachines, all)\n"
           "  --json        print a bot-bottle/preflight/v1 JSON document\n"
           "  --help        show this help\n"
           "  --version     show the version\n"
           "\n"
           "Exit status: 0 nothing failed (warnings allowed), 1 a check failed, 2 usage error.\n"
           "\n"
           "Example:\n"
           "  bottle-preflight --backend native      # in a CI runner image: fail fast, list every fix\n"
           "  bottle-preflight --json | jq '.checks[] | select(.status == \"fail\") | .remedy'\n";
}

result<options> parse_arguments(const std::vector<std::string>& args) {
    options o;
    std::vector<std::string> chosen;
    auto app_ptr = cli::make_app("bottle-preflight", "host prerequisite checks");
    auto& app = *app_ptr;
    app.add_option("--backend", chosen, "backend to check (repeatable)")
        ->check(CLI::Validator(
            [](std::string& v) {
                if (v == "all" || std::find(known_backends().begin(), known_backends().end(), v) != known_backends().end())
                    return std::string();
                return "unknown backend '" + v + "' (expected native, docker, smolmachines or all)";
            },
            "BACKEND", "backend"));
    cli::add_flag(app, "--json", o.json, "print JSON");
    auto parsed = cli::parse(app, args);
    if (!parsed) return parsed.error();
    o.help = *parsed == cli::outcome::help;
    o.version = *parsed == cli::outcome::version;
    if (std::find(chosen.begin(), chosen.end(), "all") != chosen.end() || chosen.empty()) chosen = known_backends();
    for (const auto& b : known_backends()) {
        if (std::find(chosen.begin(), chosen.end(), b) != chosen.end()) o.backends.push_back(b);
    }
    return o;
}

std::vector<check_result> run_checks(system_probes& p, const std::vector<std::string>& backends) {
    std::vector<check_result> all;
    for (const auto& b : backends) {
        auto part = b == "native" ? native_checks(p) : b == "docker" ? docker_checks(p) : smolvm_checks(p);
        all.insert(all.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
    return all;
}

boost::json::object preflight_document(const std::vector<std::string>& backends,
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

int run_preflight(const std::vector<std::string>& args, system_probes& p, std::ostream& out, std::ostream& err,
                  bool colour) {
    auto opts = parse_arguments(args);
    if (!opts) return cli::usage_failure(err, "bottle-preflight", opts.error(), usage_text());
    if (opts->help) {
        out << usage_text();
        return exit_ok;
    }
    if (opts->version) {
        out << "bottle-preflight " << tool_version << '\n';
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
