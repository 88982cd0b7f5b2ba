// bottle-escape — the sandbox-escape harness. See docs/escape-harness.md.
#include "exit_codes.hpp"
#include "output.hpp"
#include "common/cli.hpp"
#include "run.hpp"

#include <boost/json.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace {

using namespace bottle::escape;
namespace fs = std::filesystem;

constexpr const char* usage_text = R"(usage: bottle-escape COMMAND [OPTIONS]

Attacks a sandbox from inside, in a sealed lab (network namespaces with no
link to the real network), and scores each probe from ground truth observed
outside the sandbox: ESCAPED, EXPOSED (in-sandbox evidence only), BLOCKED,
ERROR or N/A. Sandboxes run as the lab's unprivileged user unless their
profile says root.

commands:
  list                          the probes, with one-line descriptions
  profiles                      the sandbox profiles this build knows
  run --sandbox PROFILE         run every probe in one sandbox
  compare --sandbox A --sandbox B ...
                                run several and print the per-probe table
  gc                            remove labs left behind by killed runs

run/compare options:
  --sandbox NAME                none, bwrap, firejail, srt, codex, docker, ...
                                or custom (with --prefix)
  --prefix 'CMD ARGS'           custom profile: the command prefix put before
                                the probe command (split on spaces)
  --only GLOB                   only probes whose id matches (repeatable)
  --json                        print the JSON report on stdout instead of text
  --json-out FILE               also write the JSON report to FILE
  --junit FILE                  write JUnit XML (run only)
  --markdown FILE               write the Markdown table (compare only)
  --from FILE                   compare: use a saved `run --json-out` report
  --expect all-escaped|no-error|contained
                                exit 0 only if every probe escaped (the
                                control run) / no probe errored and the
                                positive control matched the profile's claim
                                / that, and no probe escaped (bot-bottle's
                                own bottles)
  --verbose                     show every attempt under each probe
  --keep                        keep the run directory (debugging)
  --probe PATH                  the bottle-probe binary (default: next to this one)
  --profiles DIR                profile directory
  --timeout-ms N                per-probe deadline (default: the profile's
                                probe_timeout_ms, else 3000)
  --jobs N                      run the network-bound probes (net, dns, proxy,
                                host) N at a time (default: the profile's
                                probe_jobs, else 1); the others run alone
  --help, --version

exit codes (run): 0 no probe escaped and all ran; 1 a probe escaped (or
--expect not met); 2 usage error; 3 the run could not be completed or a probe
errored. compare: 0, or 3 when a run could not be completed or any probe
errored. Needs root.

example:
  sudo bottle-escape run --sandbox bwrap --junit bwrap.xml
  sudo bottle-escape compare --sandbox none --sandbox bwrap --markdown card.md
)";

int usage_error(const std::string& what) {
    return bottle::cli::usage_failure(std::cerr, "bottle-escape", bottle::make_error(bottle::errc::invalid_argument, what),
                                      usage_text);
}

fs::path self_dir() {
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path(".") : exe.parent_path();
}

/// Where the profiles are: $BOTTLE_ESCAPE_PROFILES, else the installed data
/// directory next to this binary (PREFIX/bin -> PREFIX/share/bot-bottle/
/// escape-profiles), else the source tree this build came from.
fs::path default_profiles_dir() {
    if (const char* env = std::getenv("BOTTLE_ESCAPE_PROFILES"); env != nullptr && *env != '\0') return env;
    const fs::path installed = self_dir().parent_path() / BOTTLE_ESCAPE_INSTALLED_PROFILES;
    std::error_code ec;
    if (fs::is_directory(installed, ec)) return installed;
    return BOTTLE_ESCAPE_PROFILES_DIR;
}

std::vector<std::string> split_words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

bool write_file(const fs::path& p, const std::string& content) {
    std::ofstream out(p);
    out << content;
    return static_cast<bool>(out);
}

void on_signal(int) { request_stop(); }

}  // namespace

int main(int argc, char** argv) {
    run_options opt;
    opt.probe_binary = self_dir() / "bottle-probe";
    opt.profiles_dir = default_profiles_dir();
    opt.node_bin = std::getenv("BOTTLE_ESCAPE_NODE_BIN") ? std::getenv("BOTTLE_ESCAPE_NODE_BIN") : BOTTLE_ESCAPE_NODE_BIN;
    std::vector<std::string> sandboxes, from, positional;
    std::string json_out, junit, markdown, expect, prefix, probe_binary, profiles_dir;
    bool json_stdout = false, verbose = false;
    auto app_ptr = bottle::cli::make_app("bottle-escape", "the sandbox-escape harness");
    auto& app = *app_ptr;
    app.add_option("--sandbox", sandboxes, "profile (repeatable)");
    bottle::cli::add_once(app, "--prefix", prefix, "custom prefix");
    app.add_option("--only", opt.only, "probe glob (repeatable)");
    bottle::cli::add_flag(app, "--json", json_stdout, "JSON on stdout");
    bottle::cli::add_once(app, "--json-out", json_out, "JSON file");
    bottle::cli::add_once(app, "--junit", junit, "JUnit file");
    bottle::cli::add_once(app, "--markdown", markdown, "Markdown file");
    app.add_option("--from", from, "saved report (repeatable)");
    bottle::cli::add_once(app, "--expect", expect, "all-escaped | no-error | contained");
    bottle::cli::add_flag(app, "--verbose", verbose, "every attempt");
    bottle::cli::add_flag(app, "--keep", opt.keep, "keep the run directory");
    bottle::cli::add_once(app, "--probe", probe_binary, "bottle-probe binary");
    bottle::cli::add_once(app, "--profiles", profiles_dir, "profile directory");
    app.add_option("--timeout-ms", opt.probe_timeout_ms, "per-probe deadline")->multi_option_policy(CLI::MultiOptionPolicy::Throw);
    app.add_option("--jobs", opt.probe_jobs, "network probes side by side")->multi_option_policy(CLI::MultiOptionPolicy::Throw);
    app.add_option("command", positional, "list | profiles | run | compare | gc");
    auto parsed = bottle::cli::parse(app, bottle::cli::arguments(argc, argv));
    if (!parsed) return bottle::cli::usage_failure(std::cerr, "bottle-escape", parsed.error(), usage_text);
    if (*parsed == bottle::cli::outcome::help) {
        std::cout << usage_text;
        return 0;
    }
    if (*parsed == bottle::cli::outcome::version) {
        std::cout << "bottle-escape " << BOTTLE_VERSION << "\n";
        return 0;
    }
    if (positional.empty()) return usage_error("a command is needed");
    if (positional.size() > 1) return usage_error("unexpected argument '" + positional[1] + "'");
    const std::string command = positional[0];
    if (command == "help") {
        std::cout << usage_text;
        return 0;
    }
    if (!probe_binary.empty()) opt.probe_binary = probe_binary;
    if (!profiles_dir.empty()) opt.profiles_dir = profiles_dir;
    if (!expectation_from(expect)) return usage_error("--expect takes all-escaped, no-error or contained");
    // Not given: 0, the profile's value (else the default) is used.
    if (app.count("--timeout-ms") != 0 && (opt.probe_timeout_ms < 100 || opt.probe_timeout_ms > 60000))
        return usage_error("--timeout-ms must be 100..60000");
    if (app.count("--jobs") != 0 && (opt.probe_jobs < 1 || opt.probe_jobs > 16)) return usage_error("--jobs must be 1..16");

    if (command == "list") {
        auto probes = list_probes(opt.probe_binary);
        if (!probes) {
            std::cerr << "bottle-escape: " << probes.error().message << "\n";
            return 3;
        }
        for (const auto& p : *probes) std::printf("%-30s %s\n", p.id.c_str(), p.description.c_str());
        std::printf("%zu probes\n", probes->size());
        return 0;
    }
    if (command == "profiles") {
        std::printf("profiles in %s\n", opt.profiles_dir.c_str());
        for (const auto& name : list_profiles(opt.profiles_dir)) {
            auto p = load_profile(opt.profiles_dir, name);
            std::printf("%-12s %s\n", name.c_str(), p ? p->description.c_str() : p.error().message.c_str());
        }
        return 0;
    }
    if (command == "gc") {
        for (const auto& line : collect_garbage(opt.work_root)) std::cout << "removed " << line << "\n";
        return 0;
    }
    if (command != "run" && command != "compare") return usage_error("unknown command " + command);
    if (command == "run" && sandboxes.size() != 1) return usage_error("run needs exactly one --sandbox");
    if (command == "compare" && sandboxes.empty() && from.empty()) return usage_error("compare needs --sandbox or --from");
    if (!prefix.empty()) opt.custom_prefix = split_words(prefix);

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    const bool tty = isatty(2) == 1;
    const bool colour = isatty(1) == 1 && !std::getenv("NO_COLOR");
    opt.progress = tty && !json_stdout;

    std::vector<run_result> runs;
    for (const auto& f : from) {
        std::ifstream in(f);
        std::stringstream ss;
        ss << in.rdbuf();
        boost::system::error_code ec;
        const auto v = boost::json::parse(ss.str(), ec);
        auto r = ec ? bottle::result<run_result>(bottle::make_error(bottle::errc::parse_error, ec.message())) : run_from_json(v);
        if (!in || !r) return usage_error("cannot read " + f + ": " + (r ? std::string("unreadable") : r.error().message));
        runs.push_back(std::move(*r));
    }
    for (const auto& s : sandboxes) {
        opt.sandbox = s;
        if (tty) std::cerr << "bottle-escape: running probes in sandbox '" << s << "'\n";
        runs.push_back(run_sandbox(opt));
        if (command == "compare" && !json_stdout) write_text(std::cerr, runs.back(), false, false);
    }

    if (command == "compare") {
        const std::string md = compare_markdown(runs);
        if (!markdown.empty() && !write_file(markdown, md)) return usage_error("cannot write " + markdown);
        const auto js = boost::json::serialize(compare_json(runs));
        if (!json_out.empty() && !write_file(json_out, js + "\n")) return usage_error("cannot write " + json_out);
        std::cout << (json_stdout ? js + "\n" : md);
        return compare_exit_code(runs);
    }

    const run_result& r = runs.front();
    const auto js = boost::json::serialize(to_json(r));
    if (json_stdout) std::cout << js << "\n";
    else write_text(std::cout, r, colour, verbose);
    if (!json_out.empty() && !write_file(json_out, js + "\n")) return usage_error("cannot write " + json_out);
    if (!junit.empty()) {
        auto xml = to_junit(r);
        if (!xml || !write_file(junit, *xml)) return usage_error("cannot write JUnit XML to " + junit);
    }
    const int code = run_exit_code(r, *expectation_from(expect));
    if (code != exit_ok && *expectation_from(expect) == expectation::all_escaped)
        for (const auto& v : r.verdicts)
            for (const auto& g : v.control_gaps) std::cerr << "control: " << v.id << ": path not escaped: " << g << "\n";
    return code;
}
