#include "bottle-run/backends/docker/gc.hpp"
#include "bottle-run/backends/docker/pool.hpp"

#include "bottle-run/backends/docker/image.hpp"
#include "bottle-run/backends/docker/plan.hpp"

#include "bottle/os/file.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <set>

namespace bottle::run::docker {

namespace json = boost::json;

namespace {

std::string this_boot() {
    auto boot = os::read_file("/proc/sys/kernel/random/boot_id", 256);
    std::string b = boot ? *boot : std::string();
    while (!b.empty() && (b.back() == '\n' || b.back() == ' ')) b.pop_back();
    return b;
}

bool bottle_run_alive(int pid) {
    auto cmd = os::read_file("/proc/" + std::to_string(pid) + "/cmdline", 1 << 16);
    return cmd && cmd->find("bottle-run") != std::string::npos;
}

std::string label_of(const json::value& item, const char* key) {
    const auto* labels = item.as_object().if_contains("Labels");
    if (!labels || !labels->is_object()) return "";
    const auto* v = labels->as_object().if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

result<std::vector<leftover>> find_leftovers(const engine& e, bool drain_pool) {
    const std::string filter = url_encode(json::serialize(json::object{{"label", json::array{label_id}}}));
    auto containers = e.call_json("GET", "/containers/json?all=1&filters=" + filter, std::nullopt, std::chrono::seconds(30));
    if (!containers) return containers.error();
    auto networks = e.call_json("GET", "/networks?filters=" + filter, std::nullopt, std::chrono::seconds(30));
    if (!networks) return networks.error();
    const std::string boot = this_boot();
    std::vector<leftover> out;
    auto stale = [&](const json::value& item) {
        if (const auto prefix = label_of(item, label_pool); !prefix.empty()) {
            if (!launcher_gone(label_of(item, label_launcher), boot, bottle_run_alive)) return false;  // being made
            const auto v = pooled_state(prefix, boot, bottle_run_alive);
            return v == pool_verdict::stale || (v == pool_verdict::waiting && drain_pool);
        }
        return launcher_gone(label_of(item, label_launcher), boot, bottle_run_alive);
    };
    if (containers->is_array())
        for (const auto& c : containers->get_array()) {
            if (!stale(c)) continue;
            std::string name;
            if (const auto* names = c.as_object().if_contains("Names"); names && names->is_array() && !names->get_array().empty())
                name = std::string(names->get_array().front().as_string());
            if (!name.empty() && name.front() == '/') name.erase(0, 1);
            out.push_back({label_of(c, label_id), "container", name.empty() ? std::string(c.at("Id").as_string()) : name, label_of(c, label_pool)});
        }
    if (networks->is_array())
        for (const auto& n : networks->get_array())
            if (stale(n)) out.push_back({label_of(n, label_id), "network", std::string(n.at("Name").as_string()), label_of(n, label_pool)});
    return out;
}

result<int> collect_leftovers(const engine& e, std::ostream& out, bool drain_pool) {
    auto found = find_leftovers(e, drain_pool);
    if (!found) return found.error();
    std::set<std::string> bottles;
    for (const auto& l : *found) {
        auto r = e.call("DELETE", l.kind == "container" ? "/containers/" + l.name + "?force=1&v=1" : "/networks/" + l.name, std::nullopt,
                        std::chrono::seconds(60));
        if (r && (r->status < 300 || r->status == 404)) {
            out << "removed docker " << l.kind << ' ' << l.name << (l.pool_prefix.empty() ? "" : " (pool)") << '\n';
            bottles.insert(l.bottle_id);
        }
    }
    std::error_code ec;
    for (const auto& l : *found)
        if (!l.pool_prefix.empty())
            for (const auto& f : pool_entry_files(pool_entry{l.pool_prefix, {}, {}})) std::filesystem::remove_all(f, ec);
    return static_cast<int>(bottles.size());
}

int gc_command(std::ostream& out, std::ostream& err) {
    const char* host = std::getenv("DOCKER_HOST");
    auto ep = endpoint_from(host ? std::optional<std::string>(host) : std::nullopt);
    if (!ep) return 0;
    struct stat st {};
    if (::stat(ep->socket_path.c_str(), &st) != 0) return 0;  // no daemon here: nothing of ours either
    const char* pool = std::getenv("BOT_BOTTLE_DOCKER_POOL");
    auto n = collect_leftovers(engine(*ep), out, pool && std::string_view(pool) == "0");
    if (!n) {
        err << "bottle-run: gc: docker: " << n.error().message << '\n';
        return 0;
    }
    if (auto images = collect_agent_images(engine(*ep), out); !images)  // superseded agent image builds (image.hpp)
        err << "bottle-run: gc: docker: agent images: " << images.error().message << '\n';
    return *n;
}

}  // namespace bottle::run::docker
