#include "bottle-run/backends/smolmachines/launch.hpp"

#include "bottle-run/backends/smolmachines/alias.hpp"
#include "bottle-run/backends/docker/launch.hpp"
#include "bottle-run/backends/sidecar/sidecar_bundle.hpp"
#include "bottle-run/backends/smolmachines/bundle.hpp"
#include "bottle-run/backends/smolmachines/docker_bundle.hpp"
#include "bottle-run/backends/smolmachines/plan.hpp"
#include "bottle-run/backends/smolmachines/steps.hpp"
#include "bottle-run/host_facts.hpp"
#include "bottle-run/protected_dirs.hpp"
#include "bottle-run/run_cli.hpp"
#include "bottle-run/state.hpp"

#include "bottle/os/file.hpp"
#include "bottle/os/signals.hpp"
#include "bottle/policy/allowlist_verifier.hpp"
#include "bottle/smolvm/db_path.hpp"
#include "bottle/smolvm/sqlite_allowlist_store.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>
#include <filesystem>

namespace bottle::run::smolmachines {

namespace {

constexpr const char* docs = "docs/smolvm.md";

int fail(std::ostream& err, const std::string& step, const std::string& what, const std::string& remedy) {
    err << "bottle-run: smolmachines: " << step << ": " << what << '\n';
    if (!remedy.empty()) err << "bottle-run: " << remedy << '\n';
    return exit_launcher_failed;
}

/// Everything the launch built, undone in reverse on every exit path.
struct teardown {
    explicit teardown(std::ostream& e) : err(e) {}
    teardown(const teardown&) = delete;
    teardown& operator=(const teardown&) = delete;
    std::ostream& err;
    const std::vector<std::string>* env = nullptr;
    std::string state_dir{}, stage_dir{}, id{};
    std::optional<host_pool> pool{};
    std::optional<net::address_v4> alias{};
    std::unique_ptr<bundle> bundle_{};
    std::vector<std::string> stop_argv{}, delete_argv{};
    created_protected_dirs dirs{};  ///< protected paths made for the bottle (removed after the machine, if alone)
    bool machine = false, started = false, state = false;

    ~teardown() {
        if (machine) {
            // stop (if it may have started), then delete -f: what must succeed.
            if (started) (void)run_step(stop_argv, *env, std::chrono::seconds(30));
            auto d = run_step(delete_argv, *env, std::chrono::seconds(30));
            if (!d || !d->succeeded())
                err << "bottle-run: smolmachines: could not delete machine " << id << " ("
                    << (d ? step_failure(*d) : d.error().message) << "); run `bottle-run gc`\n";
        }
        if (bundle_) bundle_->stop();
        if (pool && alias)
            if (auto r = pool->release(*alias, id); !r)
                err << "bottle-run: smolmachines: could not release alias " << alias->to_string() << ": " << r.error().message << '\n';
        dirs.remove_if_alone();
        if (state) remove_state(state_dir, id);
        if (!stage_dir.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(stage_dir, ec);
        }
    }
};

std::string env_or(const std::map<std::string, std::string>& env, const char* k, std::string fallback = {}) {
    auto it = env.find(k);
    return it == env.end() || it->second.empty() ? fallback : it->second;
}

long env_number(const std::map<std::string, std::string>& env, const char* k, long fallback) {
    const std::string v = env_or(env, k);
    char* end = nullptr;
    const long n = v.empty() ? 0 : std::strtol(v.c_str(), &end, 10);
    return v.empty() || *end != '\0' || n <= 0 ? fallback : n;
}

int interrupted(std::ostream& err, int status) {
    err << "bottle-run: smolmachines: interrupted by signal " << status - 128 << " before the agent ran; tearing down\n";
    return status;
}

/// A pending SIGINT/SIGTERM/SIGHUP/SIGQUIT, as the exit status it means.
std::optional<int> pending(os::signal_fd& sigs) {
    auto s = sigs.wait(std::chrono::milliseconds(0));
    if (s && *s) return 128 + **s;
    return std::nullopt;
}

/// judge_record over the stored record (re-read: it may have changed).
result<void> judge_stored(smolvm::sqlite_allowlist_store& store, const std::string& machine, bool before_start) {
    auto rec = store.find_record(machine);
    if (!rec) return rec.error();
    if (!*rec) return make_error(errc::not_found, "no smolvm machine named " + machine);
    return judge_record(**rec, before_start);
}

}  // namespace

int run(const manifest::bottle_spec& bottle, const native::launch_request& request, bool dry_run, std::ostream& out,
        std::ostream& err) {
    const auto& env = request.launcher_env;
    smolvm_request req;
    req.argv = request.argv;
    req.workspace = request.workspace;
    req.launcher_env = env;
    req.bottle_id = request.bottle_id;
    req.credential_env = request.credential_env;
    req.image = env_or(env, "BOTTLE_SMOLVM_IMAGE", default_image);
    if (auto from = env_or(env, "BOTTLE_SMOLVM_FROM"); !from.empty()) req.from = from;
    const std::string state_dir = state_directory();
    req.stage_dir = state_dir + "/" + request.bottle_id + ".smolvm";

    if (dry_run) {
        // The alias is chosen at launch; the plan shows the pool's first.
        req.smolvm = "smolvm";
        auto plan = plan_for(bottle, req, net::address_v4(0x7f000010u));
        if (!plan) return fail(err, "plan", plan.error().message, "");
        auto j = to_json(*plan);
        j.as_object()["alias_note"] = "allocated at launch from 127.0.0.16-127.0.0.31";
        out << boost::json::serialize(j) << '\n';
        return 0;
    }

    // Signals are read, never handled, from here on: a SIGTERM during any
    // step ends in the same teardown as a failure.
    auto blocked = os::blocked_signals::block({SIGINT, SIGTERM, SIGHUP, SIGQUIT});
    auto sigs = os::signal_fd::open({SIGINT, SIGTERM, SIGHUP, SIGQUIT});
    if (!blocked || !sigs) return fail(err, "signals", "cannot block signals", "");

    // 1. Preflight. smolvm, and the VM process it starts, get the launcher's
    // environment without the provider's secrets (their host variables hold
    // the same values): the guest gets those from credentials.env only.
    std::vector<std::string> child_env;
    for (const auto& kv : env) {
        // (not a structured binding: clang before 16 cannot capture one in a lambda)
        const std::string& value = kv.second;
        const bool secret = std::any_of(request.credential_env.begin(), request.credential_env.end(),
                                        [&](const auto& c) { return !c.second.empty() && value == c.second; });
        if (!secret) child_env.push_back(kv.first + "=" + value);
    }
    const auto smolvm = find_on_path("smolvm", env_or(env, "PATH"));
    if (!smolvm)
        return fail(err, "preflight", "smolvm is not on PATH", "install smolvm (>= 1.8.0) and put it on PATH; bottle-preflight --backend smolmachines checks the host");
    req.smolvm = *smolvm;
    const std::string kvm = env_or(env, "BOTTLE_SMOLVM_KVM", "/dev/kvm");
    if (auto k = check_kvm(kvm); !k) return fail(err, "preflight", k.error().message, "sudo usermod -aG kvm $USER (then log in again), or load kvm_intel / kvm_amd");
    auto version_run = run_step({*smolvm, "--version"}, child_env, std::chrono::seconds(10));
    if (!version_run || !version_run->succeeded())
        return fail(err, "preflight", "`smolvm --version` failed: " + (version_run ? step_failure(*version_run) : version_run.error().message), "");
    const auto verdict = judge_version(parse_version(version_run->out), req.from.has_value());
    if (!verdict.allowed) return fail(err, "preflight", verdict.message, std::string("see ") + docs + ", \"Versions\"");
    if (verdict.expect_dropped_allowlist) err << "bottle-run: smolmachines: " << verdict.message << '\n';
    std::map<std::string, std::string, std::less<>> lookup(env.begin(), env.end());
    auto db = smolvm::database_path(std::nullopt, smolvm::host_platform::linux_host, smolvm::env_from_map(lookup));
    if (!db) return fail(err, "preflight", db.error().message, "");
    // The bundle: bottle-egress as a host process (default) or the docker
    // sidecar (BOTTLE_SMOLVM_BUNDLE=docker).
    const std::string bundle_kind = env_or(env, "BOTTLE_SMOLVM_BUNDLE", "process");
    if (bundle_kind != "process" && bundle_kind != "docker")
        return fail(err, "preflight", "BOTTLE_SMOLVM_BUNDLE=" + bundle_kind + " is neither process nor docker", "");
    std::string egress_binary;
    std::optional<docker::endpoint> docker_ep;
    if (!bottle.egress.empty() && bundle_kind == "process") {
        auto e = native::find_egress_binary();
        if (!e) return fail(err, "preflight", e.error().message, "build or install bottle-egress next to bottle-run, or set BOTTLE_EGRESS");
        egress_binary = *e;
    } else if (!bottle.egress.empty()) {
        auto e = sidecar::find_static_egress(env);
        if (!e) return fail(err, "preflight", e.error().message, "");
        egress_binary = *e;
        auto host = env.find("DOCKER_HOST");
        auto ep = docker::endpoint_from(host == env.end() ? std::nullopt : std::optional<std::string>(host->second));
        if (!ep) return fail(err, "preflight", ep.error().message, "");
        docker_ep = *ep;
    }

    teardown td(err);
    td.env = &child_env;
    td.state_dir = state_dir;
    td.id = request.bottle_id;
    {
        std::error_code ec;
        std::filesystem::create_directories(state_dir, ec);
        ::chmod(state_dir.c_str(), 0700);
    }

    // The state record first, so that a concurrent `bottle-run gc` sees this
    // launcher alive before it holds an alias, a stage directory or a machine.
    state_record rec;
    rec.id = request.bottle_id;
    rec.launcher_pid = ::getpid();
    rec.bottle = bottle.name;
    rec.argv = request.argv;
    rec.started = static_cast<long long>(std::time(nullptr));
    if (auto w = write_state(state_dir, rec); !w) return fail(err, "state", w.error().message, "");
    td.state = true;

    // 2. The alias, recorded under the shared lock before it is released.
    auto pool = open_host_pool(state_dir, *db);
    if (!pool) return fail(err, "alias", pool.error().message, "");
    td.pool.emplace(std::move(*pool));
    auto alias = td.pool->allocate(request.bottle_id);
    if (!alias) return fail(err, "alias", alias.error().message, "");
    td.alias = *alias;

    // 3. The plan, its stage files, the state record.
    auto plan = plan_for(bottle, req, *alias);
    if (!plan) return fail(err, "plan", plan.error().message, "");
    if (::mkdir(req.stage_dir.c_str(), 0700) != 0) return fail(err, "stage", "cannot create " + req.stage_dir + ": " + std::strerror(errno), "run `bottle-run gc`");
    td.stage_dir = req.stage_dir;
    for (const auto& f : plan->stage)
        if (auto w = os::write_file(req.stage_dir + "/" + f.name, f.content, f.mode); !w) return fail(err, "stage", w.error().message, "");
    boost::json::object launcher{{"machine", plan->machine}, {"alias", plan->alias.to_string()}, {"smolvm", *smolvm},
                                 {"db", db->string()}, {"launcher_pid", ::getpid()}};
    if (auto w = os::write_file(req.stage_dir + "/launcher.json", boost::json::serialize(launcher) + "\n", 0600); !w)
        return fail(err, "stage", w.error().message, "");

    // The protected workspace paths must exist to be shared read-only: an
    // absent one is created (empty, the workspace owner's) and removed at
    // teardown if still empty; a symlink is refused (it could be swapped).
    if (request.workspace) td.dirs.hold(*request.workspace);  // before looking: see protected_dirs.hpp
    if (request.workspace)
        for (const auto& sub : protected_paths()) {
            std::string path = *request.workspace;
            std::size_t from = 0;
            while (from <= sub.size()) {
                const auto slash = std::min(sub.find('/', from), sub.size());
                path += "/" + sub.substr(from, slash - from);
                from = slash + 1;
                struct stat st {};
                if (::lstat(path.c_str(), &st) == 0) {
                    if (S_ISLNK(st.st_mode))
                        return fail(err, "workspace", path + " is a symlink, which the VM cannot be kept from replacing",
                                    "make it a directory or remove it");
                    continue;
                }
                if (::mkdir(path.c_str(), 0755) != 0) {
                    if (errno == EEXIST) continue;  // another launch made it just now: not ours to remove
                    return fail(err, "workspace", "cannot create " + path + ": " + std::strerror(errno), "");
                }
                td.dirs.add(path);
                // lchown: a path the VM of another bottle on this workspace swapped
                // for a symlink must not hand its target to the workspace owner.
                if (::lchown(path.c_str(), request.workspace_uid, request.workspace_gid) != 0) { /* keep root's: still empty, still removed */ }
            }
        }
    // What smolvm is given to share, by identity: a path swapped for a
    // symlink (or another directory) while the machine is made and started
    // — by another bottle's agent on this workspace — could share a host
    // directory outside it (.github is shared writable). Checked again
    // after create and after start.
    using stat_of = struct stat;
    std::vector<std::pair<std::string, stat_of>> shared;
    if (request.workspace) {
        shared.emplace_back(*request.workspace, stat_of{});
        for (const auto& sub : protected_paths()) shared.emplace_back(*request.workspace + "/" + sub, stat_of{});
        for (auto& [path, st] : shared)
            if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
                return fail(err, "workspace", path + " is not a directory", "");
    }
    const auto shares_changed = [&]() -> std::optional<std::string> {
        for (const auto& [path, before] : shared) {
            struct stat now {};
            if (::lstat(path.c_str(), &now) != 0 || !S_ISDIR(now.st_mode) || now.st_dev != before.st_dev || now.st_ino != before.st_ino)
                return path;
        }
        return std::nullopt;
    };

    // 4. The bundle on alias:3128.
    if (!plan->egress.empty()) {
        if (docker_ep)
            td.bundle_ = std::make_unique<docker_bundle>(docker::engine(*docker_ep), egress_binary,
                                                         docker_bundle_spec{"", request.bottle_id, bottle.name, docker::launcher_label()});
        else
            td.bundle_ = std::make_unique<process_bundle>(egress_binary, state_dir + "/" + request.bottle_id + ".egress.log", request.bottle_id);
        if (auto b = td.bundle_->start(plan->alias, plan->proxy_port, plan->egress); !b) return fail(err, "bundle", b.error().message, "");
    }
    if (td.bundle_ && td.bundle_->pid()) {
        rec.proxy_pid = *td.bundle_->pid();  // for gc after a SIGKILL
        if (auto w = write_state(state_dir, rec); !w) return fail(err, "state", w.error().message, "");
    }
    if (auto s = pending(*sigs)) return interrupted(err, *s);

    // 5. machine create. From here on teardown deletes the machine.
    td.stop_argv = plan->stop;
    td.delete_argv = plan->remove;
    td.machine = true;
    int signalled = 0;
    auto created = run_step(plan->create, child_env, std::chrono::seconds(env_number(env, "BOTTLE_SMOLVM_STEP_TIMEOUT_S", 600)), *sigs,
                            signalled);
    if (signalled) return interrupted(err, 128 + signalled);
    if (!created || !created->succeeded())
        return fail(err, "machine create", created ? step_failure(*created) : created.error().message, "nothing was started");
    if (auto changed = shares_changed())
        return fail(err, "workspace", *changed + " was replaced while the machine was created: its share may be another directory",
                    "the VM was not started; find out what changed it");
    if (auto s = pending(*sigs)) return interrupted(err, *s);

    // 6. Force the allowlist and confirm it: no confirmation, no start.
    smolvm::open_options opts;
    opts.busy_timeout = std::chrono::milliseconds(env_number(env, "BOTTLE_SMOLVM_BUSY_TIMEOUT_MS", 15000));
    smolvm::sqlite_allowlist_store store(*db, opts);
    const auto forced = policy::enforce(store, plan->machine, plan->allowlist);
    if (!forced.ok())
        return fail(err, "allowlist", forced.message + " (database " + db->string() + ")",
                    std::string("the VM was not started: its egress allowlist could not be confirmed as ") + plan->allowlist.front() +
                        " (see " + docs + ")");
    if (forced.patched) err << "bottle-run: smolmachines: " << forced.message << '\n';
    if (auto judged = judge_stored(store, plan->machine, true); !judged)
        return fail(err, "allowlist", judged.error().message + " (database " + db->string() + ")", "the VM was not started (see " + std::string(docs) + ")");
    if (auto s = pending(*sigs)) return interrupted(err, *s);

    // 7. machine start, then verify again: what smolvm runs with is what is stored.
    td.started = true;
    auto started = run_step(plan->start, child_env, std::chrono::seconds(env_number(env, "BOTTLE_SMOLVM_STEP_TIMEOUT_S", 120)), *sigs,
                            signalled);
    if (signalled) return interrupted(err, 128 + signalled);
    if (!started || !started->succeeded())
        return fail(err, "machine start", started ? step_failure(*started) : started.error().message, "");
    const auto after = policy::verify(store, plan->machine, plan->allowlist);
    if (!after.ok()) return fail(err, "allowlist after start", after.message, std::string("the VM was stopped (see ") + docs + ")");
    if (auto judged = judge_stored(store, plan->machine, false); !judged)
        return fail(err, "allowlist after start", judged.error().message, std::string("the VM was stopped (see ") + docs + ")");
    if (auto changed = shares_changed())
        return fail(err, "workspace", *changed + " was replaced while the machine started: its share may be another directory",
                    "the VM was stopped before the agent ran");
    if (auto s = pending(*sigs)) return interrupted(err, *s);

    // 8. The agent.
    return exec_agent(plan->exec, child_env, request.interactive, *sigs, err);
}

}  // namespace bottle::run::smolmachines
