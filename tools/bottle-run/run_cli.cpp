#include "bottle-run/run_cli.hpp"

#include "bottle-run/backends/docker/explain.hpp"
#include "bottle-run/backends/docker/gc.hpp"
#include "bottle-run/backends/docker/image.hpp"
#include "bottle-run/backends/docker/launch.hpp"
#include "bottle-run/backends/native/launch.hpp"
#include "bottle-run/backends/native/plan.hpp"
#include "bottle-run/backends/smolmachines/launch.hpp"
#include "bottle-run/backend_select.hpp"
#include "bottle-run/explain.hpp"
#include "bottle-run/host_facts.hpp"
#include "bottle-run/launch_record.hpp"
#include "bottle-run/picker.hpp"
#include "bottle-run/provider_setup.hpp"
#include "bottle-run/state.hpp"

#include "bottle/manifest/agent.hpp"
#include "bottle/manifest/bottle_spec.hpp"
#include "bottle/manifest/parse.hpp"
#include "bottle/os/file.hpp"
#include "common/cli.hpp"

#include <boost/json/serialize.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <set>

namespace bottle::run {

std::string usage_text() {
    return "usage: bottle-run [--manifest PATH] [--bottle NAME]... [--workspace DIR]\n"
           "                  [--backend NAME] [--json] [--dry-run] [--] COMMAND [ARG...]\n"
           "       bottle-run agent NAME [--bottle NAME]... [--workspace DIR] [--dry-run] [-- ARG...]\n"
           "       bottle-run ls [--json] | stop ID | log ID | gc | explain [--bottle NAME]...\n"
           "       bottle-run resume ID [--dry-run] [-- ARG...]\n"
           "\n"
           "Runs a command or a manifest's agent in a bottle: its own user, mount, pid, network,\n"
           "IPC, UTS and cgroup namespaces, a read-only system, a writable workspace, seccomp,\n"
           "Landlock, no capabilities, and no way out but the bottle's egress proxy.\n"
           "\n"
           "  --manifest PATH   manifest file or directory (default $XDG_CONFIG_HOME/bot-bottle/)\n"
           "  --bottle NAME     bottle to run in; repeat to merge bottles left to right\n"
           "  --workspace DIR   host directory mounted read-write at /workspace (the working dir)\n"
           "  --backend NAME    native (default), docker, or smolmachines (a smolvm micro-VM);\n"
           "                    else $BOT_BOTTLE_BACKEND, then the bottle's backend\n"
           "  --image IMAGE     docker: the agent's image (local, never pulled; else\n"
           "                    $BOT_BOTTLE_DOCKER_IMAGE; else built from the bottle's dockerfile\n"
           "                    or the provider's image recipe)\n"
           "  --require-gvisor  docker: refuse to start unless the daemon has runsc\n"
           "  --dry-run         print the launch plan as JSON and start nothing\n"
           "  --json            JSON output for ls and explain\n"
           "\n"
           "  agent NAME        run a manifest agent (its command or its provider's, then ARGs\n"
           "                    after --); the provider's credentials come from the environment\n"
           "  ls                list running bottles      stop ID   stop one\n"
           "  log ID            the bottle's egress decision log (kept after it until gc)\n"
           "  gc                remove what killed launchers left behind\n"
           "  resume ID         launch ID's agent or command again: same manifest, bottles, workspace\n"
           "  (on a terminal, `agent` without NAME or no COMMAND opens the launch picker)\n"
           "  explain           which protections this host gives a bottle, and why\n"
           "\n"
           "Exit status: the command's; 125 bottle-run failed (reason and remedy on stderr);\n"
           "126 the command cannot be run; 127 the command was not found in the bottle.\n"
           "\n"
           "Examples:\n"
           "  bottle-run --workspace ~/src/app -- make test\n"
           "  bottle-run --bottle dev --dry-run -- sh\n"
           "  bottle-run agent claude --workspace ~/src/app\n";
}

namespace {

const std::set<std::string> subcommands{"agent", "ls", "stop", "log", "gc", "explain", "resume"};

}  // namespace

result<options> parse_arguments(const std::vector<std::string>& args, bool terminal) {
    options o;
    // Our options end at "--" or at the first word that is not one of ours.
    static const std::set<std::string> with_value{"--manifest", "--bottle", "--workspace", "--backend", "--image"};
    std::vector<std::string> ours;
    std::size_t i = 0;
    bool subcommand = false;
    auto scan = [&] {
        for (; i < args.size(); ++i) {
            const auto& a = args[i];
            if (a == "--") { ++i; return true; }
            if (a.size() > 1 && a[0] == '-') {
                ours.push_back(a);
                if (with_value.count(a) && i + 1 < args.size()) ours.push_back(args[++i]);
                continue;
            }
            if (!subcommand && subcommands.count(a)) {
                subcommand = true;
                o.command = a;
                continue;
            }
            if (subcommand && o.target.empty() && (o.command == "agent" || o.command == "stop" || o.command == "log" || o.command == "resume")) {
                o.target = a;
                continue;
            }
            return false;
        }
        return false;
    };
    const bool dashdash = scan();
    o.argv.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
    (void)dashdash;
    std::string manifest, workspace, backend;
    auto app = cli::make_app("bottle-run", "launch an agent in a bottle");
    auto* m = cli::add_once(*app, "--manifest", manifest, "manifest");
    app->add_option("--bottle", o.bottles, "bottle")->allow_extra_args(false);
    auto* w = cli::add_once(*app, "--workspace", workspace, "workspace");
    cli::add_once(*app, "--backend", backend, "backend");
    cli::add_flag(*app, "--json", o.json, "JSON output");
    cli::add_flag(*app, "--dry-run", o.dry_run, "print the plan");
    std::string image;
    auto* img = cli::add_once(*app, "--image", image, "docker: the agent's image");
    cli::add_flag(*app, "--require-gvisor", o.require_gvisor, "docker: refuse to start without runsc");
    auto parsed = cli::parse(*app, ours);
    if (!parsed) return parsed.error();
    if (*parsed == cli::outcome::help) { o.help = true; return o; }
    if (*parsed == cli::outcome::version) { o.version = true; return o; }
    if (m->count()) o.manifest = manifest;
    if (w->count()) o.workspace = workspace;
    if (!backend.empty()) o.backend = backend;
    if (img->count()) o.image = image;
    for (const auto& b : o.bottles)
        if (b.empty()) return make_error(errc::invalid_argument, "--bottle needs a value");
    if (terminal && ((o.command == "run" && o.argv.empty()) || (o.command == "agent" && o.target.empty()))) {
        o.pick = true;  // the launch picker chooses the agent and its bottles
        return o;
    }
    if (o.command == "run" && o.argv.empty()) return make_error(errc::invalid_argument, "missing COMMAND (give it after --)");
    if (o.command == "resume" && o.target.empty()) return make_error(errc::invalid_argument, "resume needs a bottle ID");
    if ((o.command == "agent" || o.command == "stop" || o.command == "log") && o.target.empty())
        return make_error(errc::invalid_argument, o.command + " needs " + (o.command == "agent" ? "an agent NAME" : "a bottle ID"));
    if ((o.command == "ls" || o.command == "stop" || o.command == "log" || o.command == "gc" || o.command == "explain") && !o.argv.empty())
        return make_error(errc::invalid_argument, "unexpected argument '" + o.argv.front() + "' after " + o.command);
    return o;
}

namespace {

std::string get(const std::map<std::string, std::string>& env, const char* k) {
    auto it = env.find(k);
    return it == env.end() ? std::string() : it->second;
}

/// The manifest the user meant; an absent default directory is an empty
/// manifest (a bottle with no routes: deny everything).
result<manifest::manifest> load(const options& o, const std::map<std::string, std::string>& env) {
    if (o.manifest) return manifest::load_manifest(*o.manifest);
    std::string dir = get(env, "XDG_CONFIG_HOME");
    if (dir.empty() || dir.front() != '/') dir = get(env, "HOME").empty() ? "" : get(env, "HOME") + "/.config";
    if (!dir.empty()) {
        dir += "/bot-bottle";
        std::error_code ec;
        if (std::filesystem::exists(dir, ec)) return manifest::load_manifest(dir);
    }
    return manifest::manifest{};
}

struct target {
    manifest::bottle_spec bottle;
    std::vector<std::string> argv;
    std::optional<provider_launch> provider;  ///< agents: their provider's part
    std::string provider_image{};             ///< agents: their provider's image recipe name (docker)
};

result<target> resolve(const options& o, const std::map<std::string, std::string>& env) {
    auto m = load(o, env);
    if (!m) return m.error();
    target t;
    if (o.command == "agent") {
        auto providers = load_provider_templates(env);
        if (!providers) return providers.error();
        auto a = manifest::resolve_agent(*m, o.target, o.bottles, *providers);
        if (!a) return a.error();
        auto spec = manifest::to_spec(a->bottle);
        if (!spec) return spec.error();
        t.bottle = std::move(*spec);
        if (a->provider_spec) {
            // Planned now, before anything starts: a missing credential is an
            // error with its remedy, not an agent that cannot log in.
            auto p = prepare_provider(*a->provider_spec, env);
            if (!p) return p.error();
            add_provider(t.bottle, *p);
            t.provider = std::move(*p);
            t.provider_image = a->provider_spec->image;
        }
        t.argv = a->command;
        t.argv.insert(t.argv.end(), o.argv.begin(), o.argv.end());
        return t;
    }
    manifest::resolved_bottle r{"default", {}, {}};
    if (!o.bottles.empty()) {
        auto merged = manifest::merge_bottles(*m, o.bottles);
        if (!merged) return merged.error();
        r = std::move(*merged);
    }
    auto spec = manifest::to_spec(r);
    if (!spec) return spec.error();
    t.bottle = std::move(*spec);
    t.argv = o.argv;
    return t;
}

int fail(std::ostream& err, const std::string& what, const std::string& remedy) {
    err << "bottle-run: " << what << '\n';
    if (!remedy.empty()) err << "bottle-run: " << remedy << '\n';
    return exit_launcher_failed;
}

}  // namespace

int run_main(const std::vector<std::string>& args, const std::map<std::string, std::string>& env, std::ostream& out,
             std::ostream& err) {
    auto o = parse_arguments(args, ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1);
    if (!o) {
        (void)cli::usage_failure(err, "bottle-run", o.error(), usage_text());
        return exit_launcher_failed;
    }
    if (o->help) { out << usage_text(); return 0; }
    if (o->version) { out << "bottle-run " << BOTTLE_VERSION << '\n'; return 0; }
    if (o->command == "explain") {
        auto list = explain(probe_host_facts());
        for (auto& p : docker::explain_docker()) list.push_back(std::move(p));  // gVisor on this host's daemon
        if (o->json) out << boost::json::serialize(explain_json(list)) << '\n';
        else out << explain_text(list);
        return 0;
    }
    if (o->command == "gc") {
        const int rc = state_command(*o, out, err);
        (void)docker::gc_command(state_directory(), out, err);  // labelled containers and networks of killed docker launches
        (void)collect_launch_records(state_directory(), static_cast<long long>(std::time(nullptr)));  // resume records > 30 days
        return rc;
    }
    if (o->command == "ls" || o->command == "stop") return state_command(*o, out, err);
    if (o->command == "log") {  // the egress proxy's decision log, kept after the bottle (native and docker) until gc
        const bool id_ok = o->target.size() < 64 && o->target.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
        const std::string path = state_directory() + "/" + o->target + ".egress.log";
        auto text = id_ok ? os::read_file(path, 256 << 20) : result<std::string>(make_error(errc::invalid_argument, "not a bottle ID"));
        if (!text) return fail(err, "log " + o->target + ": no decision log (" + text.error().message + ")",
                               "`ls` lists the running bottles; a log stays after its bottle until gc, and a bottle without routes has none");
        out << *text;
        return 0;
    }
    if (o->command == "resume") return resume_command(*o, env, out, err);
    if (o->pick) {
        auto m = load(*o, env);
        if (!m) return fail(err, m.error().message, "fix the manifest");
        if (const int rc = pick_launch(*o, *m, err); rc != 0) return rc;
    }
    auto t = resolve(*o, env);
    if (!t) {
        const bool credentials = t.error().message.find("missing credentials") != std::string::npos;
        return fail(err, t.error().message, credentials ? "nothing was started" : "fix the manifest or the bottle names (bottle-run --dry-run shows the plan)");
    }
    std::optional<std::string> bottle_backend;
    if (t->bottle.backend)
        bottle_backend = std::string(manifest::to_string(*t->bottle.backend));
    const auto env_backend = env.count("BOT_BOTTLE_BACKEND") ? std::optional<std::string>(env.at("BOT_BOTTLE_BACKEND")) : std::nullopt;
    auto backend = select_backend(o->backend, env_backend, bottle_backend);
    if (!backend) return fail(err, backend.error().message, "use --backend native (or unset BOT_BOTTLE_BACKEND)");
    t->bottle.backend.reset();  // chosen: native (a flag may override the bottle's own backend)
    native::launch_request req;
    req.argv = t->argv;
    req.launcher_env = env;
    req.bottle_id = new_random_id("bb-");
    req.interactive = ::isatty(STDIN_FILENO) == 1;
    if (t->provider) req.credential_env = t->provider->credential_env;
    if (t->provider) req.credential_files = t->provider->credential_files;
    if (!req.credential_files.empty() && *backend != "native" && *backend != "docker")  // never forwarded silently, never dropped silently
        return fail(err, "provider " + t->provider->name + ": forwarding its login file is built for the native and docker backends only",
                    "use --backend native or docker, or give the agent its credentials another way");
    if (o->workspace) {
        std::error_code ec;
        auto abs = std::filesystem::canonical(*o->workspace, ec);
        struct stat st {};
        if (ec || ::stat(abs.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            return fail(err, "--workspace " + *o->workspace + " is not a directory", "create it or name another one");
        req.workspace = abs.string();
        req.workspace_uid = st.st_uid;
        req.workspace_gid = st.st_gid;
    }
    if (!o->dry_run) {  // for `resume ID`: what this launch ran with, however it was chosen
        options noted = *o;
        noted.backend = *backend;
        if (*backend == "docker") {
            if (!noted.image && !get(env, "BOT_BOTTLE_DOCKER_IMAGE").empty()) noted.image = get(env, "BOT_BOTTLE_DOCKER_IMAGE");
            noted.require_gvisor = o->require_gvisor || get(env, "BOT_BOTTLE_REQUIRE_GVISOR") == "1";
        } else {
            noted.image.reset();
        }
        note_launch(noted, req.bottle_id, req.workspace, t->bottle.canonical, err);
    }
    if (*backend == "smolmachines") return smolmachines::run(t->bottle, req, o->dry_run, out, err);
    const auto facts = probe_host_facts(/*try_userns=*/false);
    if (o->dry_run) req.proxy_port = std::nullopt;
    auto plan = native::plan_for(t->bottle, req, facts);
    if (!plan) return fail(err, plan.error().message, "");
    if (*backend == "docker") {
        docker::launch_options d;
        d.image = o->image ? *o->image : get(env, "BOT_BOTTLE_DOCKER_IMAGE");
        if (d.image.empty()) {  // the bottle's Dockerfile or the provider's recipe, built locally (image.hpp)
            auto recipe = docker::recipe_for(t->bottle.dockerfile, t->bottle.name, t->provider ? t->provider->name : "", t->provider_image,
                                             t->provider ? t->provider->source : "", facts.home);
            if (!recipe) return fail(err, "docker: image: " + recipe.error().message, "");
            if (*recipe) {
                auto tag = docker::agent_image_for(**recipe, env, o->dry_run, err);
                if (!tag) {
                    const bool no_base = tag.error().code == errc::not_found;
                    return fail(err, "docker: image: " + tag.error().message, no_base ? "" : "nothing was started");
                }
                d.image = *tag;
            }
        }
        d.require_gvisor = o->require_gvisor || get(env, "BOT_BOTTLE_REQUIRE_GVISOR") == "1";
        d.dry_run = o->dry_run;
        d.env = env;
        d.home = facts.home;
        d.state_dir = facts.runtime_dir.empty() ? state_directory() : facts.runtime_dir;
        return docker::launch(t->bottle, *plan, d, out, err);
    }
    if (o->dry_run) {
        auto j = native::to_json(*plan);
        if (t->provider) j.as_object()["provider"] = provider_json(*t->provider);
        out << boost::json::serialize(j) << '\n';
        return 0;
    }
    return native::launch(*plan, facts, err);
}

}  // namespace bottle::run
