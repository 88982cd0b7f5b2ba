// The docker backend's pool of waiting sidecars (pool.hpp).
#include "bottle-run/backends/docker/pool.hpp"

#include "bottle-run/backends/docker/gc.hpp"
#include "bottle-run/backends/docker/image.hpp"
#include "bottle-run/backends/docker/launch.hpp"
#include "bottle-run/backends/docker/plan.hpp"
#include "bottle-run/backends/sidecar/sidecar_bundle.hpp"
#include "bottle-run/state.hpp"

#include "bottle/os/file.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

namespace bottle::run::docker {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr unsigned pool_max = 8;
constexpr const char* claimed_infix = ".claimed.";

/// A waiting entry's record, when `path` (<prefix>.json) holds one.
struct waiting_entry {
    pool_entry entry{};
    std::string endpoint{}, kind{}, spec{};
    std::int64_t created = 0;
};

std::optional<waiting_entry> read_waiting(const std::string& path) {
    auto text = os::read_file(path, 64 << 10);
    if (!text) return std::nullopt;
    std::error_code ec;
    auto v = json::parse(*text, ec);
    const auto* o = ec ? nullptr : v.if_object();
    if (!o) return std::nullopt;
    auto str = [&](const char* k) {
        const auto* s = o->if_contains(k);
        return s && s->is_string() ? std::string(s->get_string()) : std::string();
    };
    waiting_entry w{{path.substr(0, path.size() - 5), str("container"), str("network"), str("internal"), str("subnet")}, str("endpoint"), str("kind"), str("spec"), 0};
    if (const auto* c = o->if_contains("created"); c && c->is_int64()) w.created = c->get_int64();
    if (w.entry.container.empty() || w.entry.network.empty()) return std::nullopt;
    return w;
}

std::vector<waiting_entry> waiting_entries(const std::string& dir) {
    std::vector<waiting_entry> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0 && it->is_regular_file(ec))
            if (auto w = read_waiting(it->path().string())) out.push_back(std::move(*w));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created < b.created; });
    return out;
}

/// Claims a waiting entry for `launcher` ("<boot id>/<pid>"): renames
/// <prefix>.json to <prefix>.claimed.<boot id>.<pid>. rename(2) is atomic:
/// of two launchers one wins; false for the other (ENOENT).
bool take(const waiting_entry& w, const std::string& launcher) {
    std::string suffix = launcher;
    std::replace(suffix.begin(), suffix.end(), '/', '.');
    return ::rename((w.entry.prefix + ".json").c_str(), (w.entry.prefix + claimed_infix + suffix).c_str()) == 0;
}

/// Takes a waiting entry out of the pool for good (claimed, then removed):
/// for an entry of another sidecar spec, or above the size.
void retire(const engine& e, const waiting_entry& w, const std::string& launcher) {
    if (take(w, launcher)) remove_pooled(e, w.entry);
}

bool is_pool_id(std::string_view id) {
    return id.size() == 15 && id.rfind("bp-", 0) == 0 && id.find_first_not_of("0123456789abcdef", 3) == std::string_view::npos;
}

}  // namespace

result<unsigned> pool_size(const std::map<std::string, std::string>& env) {
    const auto it = env.find("BOT_BOTTLE_DOCKER_POOL");
    if (it == env.end() || it->second.empty()) return 1u;
    const auto& v = it->second;
    if (v.size() == 1 && v[0] >= '0' && static_cast<unsigned>(v[0] - '0') <= pool_max) return static_cast<unsigned>(v[0] - '0');
    return make_error(errc::invalid_argument, "BOT_BOTTLE_DOCKER_POOL=" + v + ": give how many sidecars to keep waiting, 0 to " +
                                                  std::to_string(pool_max) + " (0: no pool)");
}

std::string pool_dir(const std::string& state_dir) { return state_dir + "/docker-pool"; }

namespace {

/// A pool sidecar's container body for `entry` (labels apart).
sidecar_spec pool_sidecar(const pool_kind& kind, const pool_entry& entry, json::object labels) {
    return sidecar_spec{kind.image,
                        kind.network_topology ? entry.internal_network : entry.network,
                        entry.prefix + ".log",
                        kind.network_topology ? std::string() : entry.prefix + ".sock",
                        {},
                        true,
                        std::move(labels),
                        kind.runtime};
}

}  // namespace

/// Which pool of a daemon an entry is in: topology, runtime, pinned subnet.
std::string kind_key(const pool_kind& kind) {
    return std::string(kind.network_topology ? "network" : "socket") + "/" + (kind.runtime.name.empty() ? "runc" : kind.runtime.name) + "/" +
           kind.fixed_subnet.value_or("hashed");
}

std::string pool_sidecar_spec(const pool_kind& kind) {
    // The body of a pool sidecar with placeholders where entries differ
    // (names, paths, labels, addresses): what every entry of this spec runs.
    const pool_entry placeholder{"<prefix>", "<container>", "<network>", "<internal>", "<subnet>"};
    const auto body = json::serialize(sidecar_create_body(pool_sidecar(kind, placeholder, {})));
    return sha256_hex(body + "|" + kind_key(kind)).substr(0, 24);
}

std::optional<pool_entry> claim_pooled(const std::string& state_dir, const std::string& endpoint, const std::string& spec,
                                       const std::string& launcher) {
    for (const auto& w : waiting_entries(pool_dir(state_dir))) {
        // Another daemon's; or one made by an older bottle-run or proxy, whose
        // container is not what this one would make (the next fill retires it).
        if (w.endpoint != endpoint || w.spec != spec) continue;
        if (take(w, launcher)) return w.entry;  // else another launcher claimed it first
    }
    return std::nullopt;
}

bool pooled_sidecar_runs(const engine& e, const pool_entry& entry) {
    auto r = e.call_json("GET", "/containers/" + entry.container + "/json", std::nullopt, std::chrono::seconds(10));
    if (!r) return false;
    const auto* running = r->is_object() ? r->get_object().if_contains("State") : nullptr;
    running = running && running->is_object() ? running->get_object().if_contains("Running") : nullptr;
    const auto* config = r->is_object() ? r->get_object().if_contains("Config") : nullptr;
    return running && running->is_bool() && running->get_bool() && config && label_of(*config, label_pool) == entry.prefix;
}

std::vector<std::string> pool_entry_files(const pool_entry& entry) {
    std::vector<std::string> files{entry.prefix + ".json", entry.prefix + ".sock", entry.prefix + ".log"};
    const fs::path p(entry.prefix);
    const std::string claimed = p.filename().string() + claimed_infix;
    std::error_code ec;
    for (fs::directory_iterator it(p.parent_path(), ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename().string().rfind(claimed, 0) == 0) files.push_back(it->path().string());
    return files;
}

void remove_pooled(const engine& e, const pool_entry& entry) {
    (void)e.call("DELETE", "/containers/" + entry.container + "?force=1&v=1", std::nullopt, std::chrono::seconds(30));
    for (const auto* n : {&entry.network, &entry.internal_network})
        if (!n->empty()) (void)e.call("DELETE", "/networks/" + *n, std::nullopt, std::chrono::seconds(30));
    std::error_code ec;
    for (const auto& f : pool_entry_files(entry)) fs::remove_all(f, ec);
}

int fill_pool(const engine& e, const pool_fill& what) {
    const std::string dir = pool_dir(what.state_dir);
    if (!ensure_state_dir(what.state_dir) || !ensure_state_dir(dir)) return 0;
    // One filler at a time per pool: counting and making are one step, so
    // reapers ending together do not overshoot the size.
    const os::unique_fd lock(::open((dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!lock || ::flock(lock.get(), LOCK_EX) != 0) return 0;
    const std::string launcher = launcher_label();
    const std::string spec = pool_sidecar_spec(what.kind), kind = kind_key(what.kind);
    unsigned waiting = 0;
    for (const auto& w : waiting_entries(dir)) {
        if (w.endpoint != what.endpoint || w.kind != kind) continue;  // another daemon's pool, or another kind's
        if (w.spec == spec && waiting < what.size) ++waiting;
        else retire(e, w, launcher);  // made by another bottle-run or for another proxy, or above the size
    }
    int made = 0;
    for (; waiting + static_cast<unsigned>(made) < what.size; ++made) {
        const std::string id = new_random_id("bp-");
        pool_entry entry{dir + "/" + id, id + "-egress", id + "-out", what.kind.network_topology ? id + "-int" : "", ""};
        auto labels = [&](const char* role) {
            return json::object{{label_id, id}, {label_role, role}, {label_launcher, launcher}, {label_bottle, "pool"}, {label_pool, entry.prefix}};
        };
        if (!make_egress_log(entry.prefix + ".log")) break;  // (an id taken already: nothing of ours to undo)
        auto made_ok = [&]() -> bool {
            if (!what.kind.network_topology && !make_socket_dir(entry.prefix + ".sock")) return false;
            auto nets = e.call_json("GET", "/networks", std::nullopt, std::chrono::seconds(30));
            if (!nets) return false;
            auto existing = network_subnets(*nets);
            auto create_network = [&](const json::value& body) {
                return static_cast<bool>(e.call_json("POST", "/networks/create", json::serialize(body), std::chrono::seconds(60)));
            };
            json::value body;
            if (what.kind.network_topology) {
                auto internal = internal_subnet(id, what.kind.fixed_subnet, existing);
                if (!internal) return false;
                existing.push_back(*internal);
                entry.subnet = *internal;
                if (!create_network(internal_network_body(entry.internal_network, entry.subnet, labels("pool-network")))) return false;
                body = internal_sidecar_body(pool_sidecar(what.kind, entry, labels("pool-egress")), internal_addresses(entry.subnet).first);
            } else {
                body = sidecar_create_body(pool_sidecar(what.kind, entry, labels("pool-egress")));
            }
            auto outbound = hashed_subnet(entry.network, existing);
            if (!outbound || !create_network(outbound_network_body(entry.network, *outbound, labels("pool-network")))) return false;
            if (!e.call_json("POST", "/containers/create?name=" + entry.container, json::serialize(body), std::chrono::seconds(60))) return false;
            if (what.kind.network_topology &&
                !e.call_json("POST", "/networks/" + entry.network + "/connect", json::serialize(json::object{{"Container", entry.container}}),
                             std::chrono::seconds(60)))
                return false;
            if (!e.call_json("POST", "/containers/" + entry.container + "/start", std::nullopt, std::chrono::seconds(60))) return false;
            const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
            const json::object record{{"schema", "bot-bottle/docker-pool/v1"},
                                      {"endpoint", what.endpoint},
                                      {"kind", kind},
                                      {"spec", spec},
                                      {"image", what.kind.image},
                                      {"container", entry.container},
                                      {"network", entry.network},
                                      {"internal", entry.internal_network},
                                      {"subnet", entry.subnet},
                                      {"created", now}};
            // Written whole, then renamed: a claimer never reads half a record.
            return os::write_file(entry.prefix + ".new", json::serialize(record)) &&
                   ::rename((entry.prefix + ".new").c_str(), (entry.prefix + ".json").c_str()) == 0;
        }();
        if (!made_ok) {
            remove_pooled(e, entry);
            std::error_code ec;
            fs::remove(entry.prefix + ".new", ec);
            break;
        }
    }
    return made;
}

std::optional<std::string> own_pool_prefix(const std::string& state_dir, const std::string& label) {
    const auto slash = label.rfind('/');
    if (slash == std::string::npos || label.substr(0, slash) != pool_dir(state_dir) || !is_pool_id(std::string_view(label).substr(slash + 1)))
        return std::nullopt;
    return label;
}

pool_verdict pooled_state(const std::string& prefix, const std::string& boot_id, bool (*alive)(int pid)) {
    struct stat st {};
    if (::stat((prefix + ".json").c_str(), &st) == 0) return pool_verdict::waiting;
    const fs::path p(prefix);
    const std::string claimed = p.filename().string() + claimed_infix;
    std::error_code ec;
    for (fs::directory_iterator it(p.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (name.rfind(claimed, 0) != 0) continue;
        std::string label = name.substr(claimed.size());
        if (const auto dot = label.rfind('.'); dot != std::string::npos) label[dot] = '/';
        if (!launcher_gone(label, boot_id, alive)) return pool_verdict::claimed_live;
    }
    return pool_verdict::stale;
}

void collect_pool_files(const std::string& state_dir, const std::string& endpoint, const std::set<std::string>& kept_ids,
                        const std::string& boot_id, bool (*alive)(int pid)) {
    const std::string dir = pool_dir(state_dir);
    std::set<std::string> orphans;
    for (const auto& w : waiting_entries(dir)) {
        const auto id = fs::path(w.entry.prefix).filename().string();
        if (w.endpoint == endpoint && !kept_ids.contains(id)) orphans.insert(w.entry.prefix);
    }
    std::error_code ec;
    const auto minute_ago = fs::file_time_type::clock::now() - std::chrono::minutes(1);
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        const auto id = name.substr(0, name.find('.'));
        if (!is_pool_id(id)) continue;
        const std::string prefix = dir + "/" + id;
        if (name.ends_with(".new")) {
            std::error_code tec;
            if (const auto t = fs::last_write_time(it->path(), tec); !tec && t < minute_ago) orphans.insert(prefix);
        } else if (name.find(claimed_infix) != std::string::npos && pooled_state(prefix, boot_id, alive) == pool_verdict::stale) {
            orphans.insert(prefix);
        }
    }
    for (const auto& prefix : orphans) {
        for (const auto& f : pool_entry_files(pool_entry{prefix, {}, {}})) fs::remove_all(f, ec);
        fs::remove(prefix + ".new", ec);
    }
}

result<void> make_socket_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0700) != 0) return make_error(errc::io_error, "mkdir " + path + ": " + std::strerror(errno));
    const bool owned = ::geteuid() == 0 && ::chown(path.c_str(), sidecar::sidecar_uid, sidecar::sidecar_uid) == 0;
    if (::chmod(path.c_str(), owned ? 0755 : 0777) != 0) return make_error(errc::io_error, "chmod " + path + ": " + std::strerror(errno));
    return {};
}

result<void> make_egress_log(const std::string& path) {
    const os::unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return make_error(errc::io_error, "create " + path + ": " + std::strerror(errno));
    const bool owned = ::geteuid() == 0 && ::fchown(fd.get(), sidecar::sidecar_uid, sidecar::sidecar_uid) == 0;
    if (!owned && ::fchmod(fd.get(), 0622) != 0) return make_error(errc::io_error, "chmod " + path + ": " + std::strerror(errno));
    return {};
}

}  // namespace bottle::run::docker
