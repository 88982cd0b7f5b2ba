// The docker backend's pool of waiting sidecars (pool.hpp).
#include "bottle-run/backends/docker/pool.hpp"

#include "bottle-run/backends/docker/gc.hpp"
#include "bottle-run/backends/docker/launch.hpp"
#include "bottle-run/backends/docker/plan.hpp"
#include "bottle-run/backends/sidecar/sidecar_bundle.hpp"
#include "bottle-run/state.hpp"

#include "bottle/os/file.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <sys/random.h>
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

std::string new_pool_id() {
    unsigned char b[6] = {};
    if (::getrandom(b, sizeof b, 0) != static_cast<ssize_t>(sizeof b)) {
        const auto t = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^ static_cast<std::uint64_t>(::getpid());
        for (std::size_t i = 0; i < sizeof b; ++i) b[i] = static_cast<unsigned char>(t >> (i * 8));
    }
    static const char* hex = "0123456789abcdef";
    std::string id = "bp-";
    for (unsigned char c : b) id += {hex[c >> 4], hex[c & 15]};
    return id;
}

/// A waiting entry's record, when `path` (<prefix>.json) holds one.
struct waiting_entry {
    pool_entry entry{};
    std::string endpoint{}, image{};
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
    waiting_entry w{{path.substr(0, path.size() - 5), str("container"), str("network")}, str("endpoint"), str("image"), 0};
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

std::string text_of(const json::value& v, std::initializer_list<const char*> path) {
    const json::value* at = &v;
    for (const char* k : path) {
        const auto* o = at->if_object();
        if (!o || !(at = o->if_contains(k))) return "";
    }
    return at->is_string() ? std::string(at->get_string()) : std::string();
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

std::optional<pool_entry> claim_pooled(const std::string& state_dir, const std::string& endpoint, const std::string& image,
                                       const std::string& launcher) {
    std::string suffix = launcher;
    std::replace(suffix.begin(), suffix.end(), '/', '.');
    for (const auto& w : waiting_entries(pool_dir(state_dir))) {
        if (w.endpoint != endpoint || w.image != image) continue;  // another daemon's, or an older proxy's (gc, or its filler, replaces it)
        if (::rename((w.entry.prefix + ".json").c_str(), (w.entry.prefix + claimed_infix + suffix).c_str()) == 0) return w.entry;
        // ENOENT: another launcher claimed it first.
    }
    return std::nullopt;
}

bool pooled_sidecar_runs(const engine& e, const pool_entry& entry) {
    auto r = e.call_json("GET", "/containers/" + entry.container + "/json", std::nullopt, std::chrono::seconds(10));
    if (!r) return false;
    const auto* running = r->is_object() ? r->get_object().if_contains("State") : nullptr;
    running = running && running->is_object() ? running->get_object().if_contains("Running") : nullptr;
    return running && running->is_bool() && running->get_bool() && text_of(*r, {"Config", "Labels", label_pool}) == entry.prefix;
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
    (void)e.call("DELETE", "/networks/" + entry.network, std::nullopt, std::chrono::seconds(30));
    std::error_code ec;
    for (const auto& f : pool_entry_files(entry)) fs::remove_all(f, ec);
}

int fill_pool(const engine& e, const pool_fill& what) {
    const std::string dir = pool_dir(what.state_dir);
    if (what.size == 0 || !ensure_state_dir(what.state_dir) || !ensure_state_dir(dir)) return 0;
    unsigned waiting = 0;
    for (const auto& w : waiting_entries(dir)) waiting += w.endpoint == what.endpoint && w.image == what.image;
    const std::string launcher = launcher_label();
    int made = 0;
    for (; waiting + static_cast<unsigned>(made) < what.size; ++made) {
        const std::string id = new_pool_id();
        const pool_entry entry{dir + "/" + id, id + "-egress", id + "-out"};
        auto labels = [&](const char* role) {
            return json::object{{label_id, id}, {label_role, role}, {label_launcher, launcher}, {label_bottle, "pool"}, {label_pool, entry.prefix}};
        };
        sidecar_spec side{what.image, entry.network, entry.prefix + ".log", entry.prefix + ".sock", {}, true, labels("pool-egress"), {}};
        auto made_ok = [&]() -> bool {
            if (!make_socket_dir(side.socket_dir) || !make_egress_log(side.egress_log)) return false;
            auto net = e.call_json("POST", "/networks/create", json::serialize(outbound_network_body(entry.network, labels("pool-network"))),
                                   std::chrono::seconds(60));
            if (!net) return false;
            if (!e.call_json("POST", "/containers/create?name=" + entry.container, json::serialize(sidecar_create_body(side)), std::chrono::seconds(60)))
                return false;
            if (!e.call_json("POST", "/containers/" + entry.container + "/start", std::nullopt, std::chrono::seconds(60))) return false;
            const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
            const json::object record{{"schema", "bot-bottle/docker-pool/v1"}, {"endpoint", what.endpoint}, {"image", what.image},
                                      {"container", entry.container},      {"network", entry.network},   {"created", now}};
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

pool_verdict pooled_state(const std::string& prefix, const std::string& boot_id, bool (*alive)(int pid)) {
    struct stat st {};
    const fs::path p(prefix);
    // Another user's state directory (not searchable here): not ours to judge.
    if (::stat(p.parent_path().c_str(), &st) != 0) return errno == ENOENT ? pool_verdict::stale : pool_verdict::claimed_live;
    if (::stat((prefix + ".json").c_str(), &st) == 0) return pool_verdict::waiting;
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
