// Launch records: what `resume` launches again.
#include "bottle-run/launch_record.hpp"

#include "bottle-run/host_facts.hpp"
#include "bottle-run/state.hpp"

#include "bottle/os/file.hpp"

#include <boost/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <filesystem>

namespace bottle::run {

namespace json = boost::json;

namespace {

constexpr const char* suffix = ".launch.json";

bool valid_id(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

json::array strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

std::vector<std::string> strings_of(const json::value& v) {
    std::vector<std::string> out;
    for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
    return out;
}

std::optional<std::string> optional_string(const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    return std::string(v->as_string());
}

}  // namespace

launch_record record_for(const options& o, const std::string& id, const std::optional<std::string>& workspace,
                         const std::string& canonical) {
    launch_record r;
    r.id = id;
    r.command = o.command == "agent" ? "agent" : "run";
    if (o.command == "agent") r.agent = o.target;
    if (o.manifest) {
        std::error_code ec;
        const auto abs = std::filesystem::absolute(*o.manifest, ec);
        r.manifest = ec ? *o.manifest : abs.lexically_normal().string();
    }
    r.bottles = o.bottles;
    r.workspace = workspace;
    r.backend = o.backend;
    r.image = o.image;
    r.require_gvisor = o.require_gvisor;
    r.argv = o.argv;
    r.canonical = canonical;
    r.started = static_cast<long long>(std::time(nullptr));
    return r;
}

result<void> write_launch_record(const std::string& dir, const launch_record& r) {
    if (!valid_id(r.id)) return make_error(errc::invalid_argument, "launch record: invalid bottle id " + r.id);
    if (auto d = ensure_state_dir(dir); !d) return d;
    auto opt = [](const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); };
    const json::object o{{"schema", "bot-bottle/launch/v1"}, {"id", r.id},
                         {"command", r.command},          {"agent", r.agent},
                         {"manifest", opt(r.manifest)},   {"bottles", strings(r.bottles)},
                         {"workspace", opt(r.workspace)}, {"backend", opt(r.backend)},
                         {"argv", strings(r.argv)},       {"canonical", r.canonical},
                         {"started", r.started},          {"image", opt(r.image)},
                         {"require_gvisor", r.require_gvisor}};
    return os::write_file(dir + "/" + r.id + suffix, json::serialize(o), 0600);
}

result<launch_record> read_launch_record(const std::string& dir, const std::string& id) {
    if (!valid_id(id)) return make_error(errc::invalid_argument, "'" + id + "' is not a bottle id (bottle-run ls shows them)");
    const std::string path = dir + "/" + id + suffix;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return make_error(errc::not_found, "no launch record for " + id + " in " + dir + " (it was never launched by this user, or gc removed it)");
    auto text = os::read_file(path, 1 << 20);
    if (!text) return text.error();
    try {
        const auto v = json::parse(*text);
        const auto& o = v.as_object();
        if (o.at("schema").as_string() != "bot-bottle/launch/v1") return make_error(errc::parse_error, path + ": not a launch record");
        launch_record r;
        r.id = std::string(o.at("id").as_string());
        r.command = std::string(o.at("command").as_string());
        if (r.command != "run" && r.command != "agent") return make_error(errc::parse_error, path + ": unknown command " + r.command);
        r.agent = std::string(o.at("agent").as_string());
        r.manifest = optional_string(o, "manifest");
        r.bottles = strings_of(o.at("bottles"));
        r.workspace = optional_string(o, "workspace");
        r.backend = optional_string(o, "backend");
        r.argv = strings_of(o.at("argv"));
        r.canonical = std::string(o.at("canonical").as_string());
        r.started = o.at("started").to_number<long long>();
        r.image = optional_string(o, "image");  // absent in records written before docker resume
        if (const auto* g = o.if_contains("require_gvisor")) r.require_gvisor = g->as_bool();
        if (r.id != id) return make_error(errc::parse_error, path + ": records another bottle (" + r.id + ")");
        return r;
    } catch (const std::exception& e) {
        return make_error(errc::parse_error, path + ": not a launch record (" + e.what() + ")");
    }
}

std::vector<std::string> resume_arguments(const launch_record& r, const options& resume) {
    std::vector<std::string> a;
    if (r.manifest) a.insert(a.end(), {"--manifest", *r.manifest});
    for (const auto& b : r.bottles) a.insert(a.end(), {"--bottle", b});
    if (r.workspace) a.insert(a.end(), {"--workspace", *r.workspace});
    if (resume.backend) a.insert(a.end(), {"--backend", *resume.backend});
    else if (r.backend) a.insert(a.end(), {"--backend", *r.backend});
    if (resume.image) a.insert(a.end(), {"--image", *resume.image});
    else if (r.image) a.insert(a.end(), {"--image", *r.image});
    if (resume.require_gvisor || r.require_gvisor) a.emplace_back("--require-gvisor");
    if (resume.dry_run) a.emplace_back("--dry-run");
    if (resume.json) a.emplace_back("--json");
    if (r.command == "agent") a.insert(a.end(), {"agent", r.agent});
    a.emplace_back("--");
    const auto& argv = resume.argv.empty() ? r.argv : resume.argv;
    a.insert(a.end(), argv.begin(), argv.end());
    return a;
}

int resume_command(const options& o, const std::map<std::string, std::string>& env, std::ostream& out, std::ostream& err) {
    auto r = read_launch_record(state_directory(), o.target);
    if (!r) {
        err << "bottle-run: resume " << o.target << ": " << r.error().message << '\n';
        return exit_launcher_failed;
    }
    if (r->command == "run" && r->argv.empty() && o.argv.empty()) {
        err << "bottle-run: resume " << o.target << ": the record has no command\n";
        return exit_launcher_failed;
    }
    std::string what = r->command == "agent" ? "agent " + r->agent : "command";
    for (const auto& b : r->bottles) what += (b == r->bottles.front() ? ", bottles " : "+") + b;
    if (r->workspace) what += ", workspace " + *r->workspace;
    if (r->backend && *r->backend != "native") what += ", backend " + *r->backend;
    err << "bottle-run: resuming " << r->id << " (" << what << ")\n";
    return run_main(resume_arguments(*r, o), env, out, err);
}

void note_launch(const options& o, const std::string& id, const std::optional<std::string>& workspace,
                 const std::string& canonical, std::ostream& err) {
    const std::string dir = state_directory();
    if (auto w = write_launch_record(dir, record_for(o, id, workspace, canonical)); !w)
        err << "bottle-run: warning: no launch record, `resume " << id << "` will not work: " << w.error().message << '\n';
}

int collect_launch_records(const std::string& dir, long long now) {
    int removed = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const auto name = e.path().filename().string();
        if (name.size() <= std::strlen(suffix) || name.compare(name.size() - std::strlen(suffix), std::string::npos, suffix) != 0) continue;
        const auto id = name.substr(0, name.size() - std::strlen(suffix));
        std::error_code ec2;
        if (std::filesystem::exists(dir + "/" + id + ".json", ec2)) continue;  // still running (or gc's other half)
        // Another launch may be writing its record right now: an unreadable
        // record is judged by its file's age, never removed as soon as seen.
        auto r = read_launch_record(dir, id);
        long long started = 0;
        if (r) {
            started = r->started;
        } else {
            struct stat st {};
            if (::stat(e.path().c_str(), &st) != 0) continue;
            started = static_cast<long long>(st.st_mtime);
        }
        if (now - started < launch_record_max_age) continue;
        std::filesystem::remove(e.path(), ec2);
        if (!ec2) ++removed;
    }
    return removed;
}

}  // namespace bottle::run
