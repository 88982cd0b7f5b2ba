#include "bottle-run/state.hpp"

#include "bottle-run/backends/native/steps.hpp"
#include "bottle-run/backends/smolmachines/launch.hpp"
#include "bottle-run/host_facts.hpp"

#include "bottle/os/file.hpp"

#include <boost/json.hpp>

#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <set>

namespace bottle::run {

namespace json = boost::json;

std::string new_random_id(const std::string& prefix) {
    unsigned char b[6] = {};
    if (::getrandom(b, sizeof b, 0) != static_cast<ssize_t>(sizeof b)) {
        const auto t = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^ static_cast<std::uint64_t>(::getpid());
        for (std::size_t i = 0; i < sizeof b; ++i) b[i] = static_cast<unsigned char>(t >> (i * 8));
    }
    static const char* hex = "0123456789abcdef";
    std::string id = prefix;
    for (unsigned char c : b) id += {hex[c >> 4], hex[c & 15]};
    return id;
}

result<void> ensure_state_dir(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
        return make_error(errc::permission_denied, "state directory " + dir + " is missing or not ours");
    ::chmod(dir.c_str(), 0700);
    return {};
}

result<void> write_state(const std::string& dir, const state_record& r) {
    if (auto d = ensure_state_dir(dir); !d) return d;
    json::array argv, cgroups;
    for (const auto& a : r.argv) argv.emplace_back(a);
    for (const auto& c : r.cgroups) cgroups.emplace_back(c);
    const json::object o{{"id", r.id}, {"launcher_pid", r.launcher_pid}, {"init_pid", r.init_pid}, {"proxy_pid", r.proxy_pid},
                         {"bottle", r.bottle}, {"argv", argv}, {"cgroups", cgroups}, {"started", r.started}};
    return os::write_file(dir + "/" + r.id + ".json", json::serialize(o), 0600);
}

void remove_state(const std::string& dir, const std::string& id) noexcept { ::unlink((dir + "/" + id + ".json").c_str()); }

result<std::vector<state_record>> read_states(const std::string& dir) {
    std::vector<state_record> out;
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) return out;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (e.path().extension() != ".json") continue;
        auto text = os::read_file(e.path().string(), 1 << 20);
        if (!text) continue;
        boost::system::error_code jec;
        auto v = json::parse(*text, jec);
        if (jec || !v.is_object()) continue;
        try {
            const auto& o = v.get_object();
            state_record r;
            r.id = std::string(o.at("id").as_string());
            r.launcher_pid = static_cast<pid_t>(o.at("launcher_pid").to_number<long long>());
            r.init_pid = static_cast<pid_t>(o.at("init_pid").to_number<long long>());
            r.proxy_pid = static_cast<pid_t>(o.at("proxy_pid").to_number<long long>());
            r.bottle = std::string(o.at("bottle").as_string());
            for (const auto& a : o.at("argv").as_array()) r.argv.emplace_back(a.as_string());
            for (const auto& c : o.at("cgroups").as_array()) r.cgroups.emplace_back(c.as_string());
            r.started = o.at("started").to_number<long long>();
            out.push_back(std::move(r));
        } catch (const std::exception&) {
            continue;  // not ours, or half written: gc leaves it alone
        }
    }
    return out;
}

bool launcher_alive(const state_record& r) {
    if (r.launcher_pid <= 1) return false;
    auto cmd = os::read_file("/proc/" + std::to_string(r.launcher_pid) + "/cmdline", 1 << 16);
    return cmd && cmd->find("bottle-run") != std::string::npos;
}

int state_command(const options& o, std::ostream& out, std::ostream& err) {
    const std::string dir = state_directory();
    auto states = read_states(dir);
    if (!states) {
        err << "bottle-run: " << states.error().message << '\n';
        return exit_launcher_failed;
    }
    if (o.command == "ls") {
        json::array a;
        for (const auto& r : *states) {
            if (!launcher_alive(r)) continue;
            std::string cmd;
            for (const auto& s : r.argv) cmd += (cmd.empty() ? "" : " ") + s;
            if (o.json) a.push_back(json::object{{"id", r.id}, {"bottle", r.bottle}, {"pid", r.launcher_pid}, {"command", cmd}});
            else out << r.id << "  " << r.bottle << "  pid " << r.launcher_pid << "  " << cmd << '\n';
        }
        if (o.json) out << json::serialize(a) << '\n';
        return 0;
    }
    if (o.command == "stop") {
        for (const auto& r : *states)
            if (r.id == o.target && launcher_alive(r)) {
                ::kill(r.launcher_pid, SIGTERM);  // the launcher forwards it and tears down
                return 0;
            }
        err << "bottle-run: no running bottle " << o.target << " (bottle-run ls lists them)\n";
        return exit_launcher_failed;
    }
    // gc: what launchers that were killed left behind.
    int removed = 0;
    for (const auto& r : *states) {
        if (launcher_alive(r)) continue;
        if (r.proxy_pid > 1) {
            auto cmd = os::read_file("/proc/" + std::to_string(r.proxy_pid) + "/cmdline", 1 << 16);
            if (cmd && cmd->find("bottle-egress") != std::string::npos) ::kill(r.proxy_pid, SIGKILL);
        }
        for (const auto& c : r.cgroups) {
            if (auto procs = os::read_file(c + "/cgroup.procs", 1 << 20); procs && procs->empty()) native::remove_bottle_cgroup_dir(c);
        }
        remove_state(dir, r.id);
        ++removed;
    }
    // smolvm bottles: their machines, stage directories and alias records.
    std::set<std::string> live;
    for (const auto& r : *states)
        if (launcher_alive(r)) live.insert(r.id);
    (void)smolmachines::collect_leftovers(dir, live, err);
    // Decision logs outlive their bottle (so the user can read them) until
    // gc. A docker bottle's socket directory and login copies go with their
    // reaper, or here when it was killed too (a login copy is a secret).
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const auto name = e.path().filename().string();
        const auto id = name.substr(0, name.find('.'));
        const bool kept_by_id = name.ends_with(".egress.log") || name.ends_with(".egress.d") || name.ends_with(".login");
        if (kept_by_id && !std::filesystem::exists(dir + "/" + id + ".json")) std::filesystem::remove_all(e.path(), ec);
    }
    out << "removed " << removed << " stale bottle" << (removed == 1 ? "" : "s") << '\n';
    return 0;
}

}  // namespace bottle::run
