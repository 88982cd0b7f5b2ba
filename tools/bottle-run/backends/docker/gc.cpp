#include "bottle-run/backends/docker/gc.hpp"
#include "bottle-run/backends/docker/pool.hpp"

#include "bottle-run/backends/docker/image.hpp"
#include "bottle-run/backends/docker/launch.hpp"
#include "bottle-run/backends/docker/plan.hpp"

#include "bottle/os/file.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

namespace bottle::run::docker {

namespace json = boost::json;

namespace {

bool bottle_run_alive(int pid) {
    auto cmd = os::read_file("/proc/" + std::to_string(pid) + "/cmdline", 1 << 16);
    return cmd && cmd->find("bottle-run") != std::string::npos;
}

std::string name_of(const json::value& container) {
    std::string name;
    if (const auto* names = container.as_object().if_contains("Names"); names && names->is_array() && !names->get_array().empty())
        name = std::string(names->get_array().front().as_string());
    if (!name.empty() && name.front() == '/') name.erase(0, 1);
    return name.empty() ? std::string(container.at("Id").as_string()) : name;
}

}  // namespace

std::string label_of(const json::value& item, const char* key) {
    const auto* o = item.if_object();
    const auto* labels = o ? o->if_contains("Labels") : nullptr;
    if (!labels || !labels->is_object()) return "";
    const auto* v = labels->as_object().if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

result<found_leftovers> find_leftovers(const engine& e, const std::string& state_dir, bool drain_pool) {
    const std::string filter = url_encode(json::serialize(json::object{{"label", json::array{label_id}}}));
    auto containers = e.call_json("GET", "/containers/json?all=1&filters=" + filter, std::nullopt, std::chrono::seconds(30));
    if (!containers) return containers.error();
    auto networks = e.call_json("GET", "/networks?filters=" + filter, std::nullopt, std::chrono::seconds(30));
    if (!networks) return networks.error();
    const std::string boot = boot_id();
    static const json::array none;
    const auto& listed_containers = containers->is_array() ? containers->get_array() : none;
    const auto& listed_networks = networks->is_array() ? networks->get_array() : none;
    // Waiting entries of our pool whose sidecar no longer runs (a daemon
    // restart stops it): never claimable, so stale.
    std::set<std::string> not_running;
    for (const auto& c : listed_containers)
        if (const auto* state = c.as_object().if_contains("State"); state && state->is_string() && state->get_string() != "running")
            if (const auto prefix = own_pool_prefix(state_dir, label_of(c, label_pool))) not_running.insert(*prefix);
    found_leftovers out;
    auto judge = [&](const json::value& item, const char* kind, std::string name) {
        const auto pool_label = label_of(item, label_pool);
        bool stale = false;
        std::string prefix;
        if (pool_label.empty()) stale = launcher_gone(label_of(item, label_launcher), boot, bottle_run_alive);
        else if (const auto own = own_pool_prefix(state_dir, pool_label)) {
            prefix = *own;
            const auto v = launcher_gone(label_of(item, label_launcher), boot, bottle_run_alive)  // its maker still at work: kept
                               ? pooled_state(prefix, boot, bottle_run_alive)
                               : pool_verdict::claimed_live;
            stale = v == pool_verdict::stale || (v == pool_verdict::waiting && (drain_pool || not_running.contains(prefix)));
            if (!stale) out.kept_pool_ids.insert(label_of(item, label_id));
        }
        if (stale) out.stale.push_back({label_of(item, label_id), kind, std::move(name), prefix});
    };
    for (const auto& c : listed_containers) judge(c, "container", name_of(c));
    for (const auto& n : listed_networks) judge(n, "network", std::string(n.at("Name").as_string()));
    return out;
}

result<int> collect_leftovers(const engine& e, const std::string& state_dir, std::ostream& out, bool drain_pool) {
    auto found = find_leftovers(e, state_dir, drain_pool);
    if (!found) return found.error();
    std::set<std::string> bottles;
    for (const auto& l : found->stale) {
        auto r = e.call("DELETE", l.kind == "container" ? "/containers/" + l.name + "?force=1&v=1" : "/networks/" + l.name, std::nullopt,
                        std::chrono::seconds(60));
        if (r && (r->status < 300 || r->status == 404)) {
            out << "removed docker " << l.kind << ' ' << l.name << (l.pool_prefix.empty() ? "" : " (pool)") << '\n';
            bottles.insert(l.bottle_id);
        }
    }
    std::error_code ec;
    for (const auto& l : found->stale)
        if (!l.pool_prefix.empty())
            for (const auto& f : pool_entry_files(pool_entry{l.pool_prefix, {}, {}})) std::filesystem::remove_all(f, ec);
    collect_pool_files(state_dir, e.where().spec, found->kept_pool_ids, boot_id(), bottle_run_alive);
    return static_cast<int>(bottles.size());
}

int gc_command(const std::string& state_dir, std::ostream& out, std::ostream& err) {
    const char* host = std::getenv("DOCKER_HOST");
    auto ep = endpoint_from(host ? std::optional<std::string>(host) : std::nullopt);
    if (!ep) return 0;
    struct stat st {};
    if (::stat(ep->socket_path.c_str(), &st) != 0) return 0;  // no daemon here: nothing of ours either
    std::map<std::string, std::string> env;
    if (const char* pool = std::getenv("BOT_BOTTLE_DOCKER_POOL")) env["BOT_BOTTLE_DOCKER_POOL"] = pool;
    auto size = pool_size(env);
    if (!size) err << "bottle-run: gc: docker: " << size.error().message << " (the pool is left as it is)\n";
    auto n = collect_leftovers(engine(*ep), state_dir, out, size && *size == 0);
    if (!n) {
        err << "bottle-run: gc: docker: " << n.error().message << '\n';
        return 0;
    }
    if (auto images = collect_agent_images(engine(*ep), out); !images)  // superseded agent image builds (image.hpp)
        err << "bottle-run: gc: docker: agent images: " << images.error().message << '\n';
    return *n;
}

}  // namespace bottle::run::docker
