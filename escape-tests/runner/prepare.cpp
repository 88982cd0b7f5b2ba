#include "prepare.hpp"

#include "../lab/lab_plan.hpp"
#include "../lab/system.hpp"

#include <boost/json/serialize.hpp>

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace bottle::escape {

namespace fs = std::filesystem;

result<std::vector<probe_meta>> select_probes(const fs::path& probe_binary, const std::vector<std::string>& only) {
    auto probes = list_probes(probe_binary);
    if (!probes || only.empty()) return probes;
    std::erase_if(*probes, [&](const probe_meta& p) {
        return std::none_of(only.begin(), only.end(), [&](const std::string& g) { return fnmatch(g.c_str(), p.id.c_str(), 0) == 0; });
    });
    return probes;
}

result<prepared_run> prepare_run(const run_options& opt, run_result& res) {
    auto prof = load_profile(opt.profiles_dir, opt.sandbox, opt.custom_prefix);
    if (!prof) return prof.error();
    res.description = prof->description;
    res.allows_upstream = prof->allows_upstream;
    for (const auto& program : prof->requires_programs)
        if (lab::find_program(program, {opt.node_bin.string()}).empty())
            return make_error(errc::not_found, "profile '" + prof->name + "' needs '" + program +
                                                   "', which is not on PATH: the profile cannot run on this host (scripts/setup-deps.sh --peers "
                                                   "installs the packaged peers; the profile's description says what else it needs)");
    const char* runner_path = std::getenv("PATH");
    auto bins = resolve_bins(*prof, runner_path ? runner_path : "", {opt.node_bin.string()});
    if (!bins) return bins.error();
    if (geteuid() != 0)
        return make_error(errc::permission_denied, "bottle-escape run needs root (it creates network, mount and IPC namespaces)");

    prepared_run run;
    run.prof = std::move(*prof);
    run.paths = lab::run_paths{opt.work_root / ("run-" + res.nonce)};
    // The lab sees the harness's programs through binds under tools/ (a
    // checkout under /tmp or /root would be hidden); the runner's own
    // commands use the host paths.
    run.tools = lab::plan_tool_staging(run.paths.tools(), {opt.probe_binary, opt.profiles_dir, opt.node_bin});
    run.probe_timeout_ms = opt.probe_timeout_ms > 0       ? opt.probe_timeout_ms
                           : run.prof.probe_timeout_ms > 0 ? run.prof.probe_timeout_ms
                                                           : default_probe_timeout_ms;
    run.probe_jobs = opt.probe_jobs > 0 ? opt.probe_jobs : run.prof.probe_jobs > 0 ? run.prof.probe_jobs : 1;
    res.probe_timeout_ms = run.probe_timeout_ms;
    res.probe_jobs = run.probe_jobs;
    expansion& out = run.outside;
    out.probe = fs::absolute(opt.probe_binary).string();
    // bottle-probe refuses to run without this run's lab token (and outside
    // the lab's routes): a hand-run probe on a networked host sends nothing.
    // An argv flag, not a variable: some sandboxes clear the environment.
    out.probe_args = {"run", "--nonce", res.nonce, "--lab-token", lab::random_hex(32), "--timeout-ms",
                      std::to_string(run.probe_timeout_ms)};
    if (run.probe_jobs > 1) out.probe_args.insert(out.probe_args.end(), {"--jobs", std::to_string(run.probe_jobs)});
    for (const auto& g : opt.only) {
        out.probe_args.push_back("--only");
        out.probe_args.push_back(g);
    }
    out.state = run.paths.state().string();
    out.profiles = opt.profiles_dir.string();
    out.node_bin = opt.node_bin.string();
    out.nonce = res.nonce;
    out.workspace = run.paths.workspace().string();
    out.home = run.paths.home().string();
    out.bins = *bins;
    run.inside = out;
    // A program the lab would hide (under /tmp, /root, /home...) is bound
    // into tools/bin/ as the probe is; the others keep their path (bottle-run
    // finds bottle-egress next to itself).
    for (auto& [name, path] : run.inside.bins)
        if (lab::hidden_in_lab(path)) {
            const fs::path staged = run.paths.tools() / "bin" / name;
            run.tools.binds.push_back({fs::path(path), staged, false, true});
            path = staged.string();
        }
    run.inside.probe = run.tools.in_lab.probe.string();
    run.inside.profiles = run.tools.in_lab.profiles.string();
    run.inside.node_bin = run.tools.in_lab.node_bin.string();
    if (!run.prof.version.empty()) {
        const auto v = lab::run_command(expand(run.prof.version, out), 20000);
        res.version = v.started ? v.output.substr(0, v.output.find('\n')) : "unknown (" + v.output + ")";
    }
    return run;
}

lab::host_plan make_host_plan(const prepared_run& run, const lab::token_map& tokens,
                              std::size_t probe_count, const std::string& handle_target, const lab::lab_user& user) {
    lab::host_plan plan;
    expansion x = run.inside;
    if (!handle_target.empty()) {
        x.probe_args.push_back("--handle-target");
        x.probe_args.push_back(handle_target);
    }
    plan.paths = run.paths;
    plan.nonce = x.nonce;
    plan.tokens = tokens;
    plan.setup = expand(run.prof.setup, x);
    plan.teardown = expand(run.prof.teardown, x);
    plan.command = expand(run.prof.command, x);
    plan.timeout_ms = static_cast<int>(probe_count) * (run.probe_timeout_ms + 500) + 60000;
    plan.tool_binds = run.tools.binds;
    plan.facts_command = {x.probe, "facts"};
    if (!handle_target.empty()) plan.facts_command.insert(plan.facts_command.end(), {"--handle-target", handle_target});
    plan.lab_proxy = run.prof.lab_proxy;
    plan.memory_process = run.prof.memory_process;
    if (!run.prof.run_as_root) plan.run_as = user;
    const std::string user_name = run.prof.run_as_root ? "root" : std::string(lab::lab_user_name);
    const std::string home = run.prof.run_as_root ? "/root" : std::string(lab::lab_user_home);
    plan.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" + (x.node_bin.empty() ? "" : ":" + x.node_bin),
                "HOME=" + home, "USER=" + user_name, "LOGNAME=" + user_name, "LANG=C.UTF-8", "TERM=dumb",
                "SSH_AUTH_SOCK=" + std::string(lab::ssh_agent_socket),
                "DBUS_SESSION_BUS_ADDRESS=unix:path=" + std::string(lab::dbus_session_socket)};
    for (const auto& name : lab::canary_env) plan.env.push_back(std::string(name) + "=" + tokens.at("env_" + std::string(name)));
    for (const auto& [k, v] : run.prof.env) plan.env.push_back(k + "=" + expand(v, x));
    return plan;
}

result<void> write_profile_files(const prepared_run& run) {
    for (const auto& [fname, content] : run.prof.files) {
        const fs::path p = run.paths.state() / fname;
        std::ofstream out(p);
        out << (content.is_string() ? expand(std::string(content.as_string()), run.inside)
                                    : expand(boost::json::serialize(content), run.inside));
        out.close();
        if (!out) return make_error(errc::io_error, "cannot write the profile's file " + p.string());
    }
    return {};
}

}  // namespace bottle::escape
