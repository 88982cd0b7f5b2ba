#include "truth.hpp"

#include "../lab/heartbeat.hpp"
#include "../lab/lab_plan.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

namespace bottle::escape {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> read_lines(const fs::path& p) {
    std::vector<std::string> lines;
    std::ifstream in(p);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) lines.push_back(l);
    return lines;
}

}  // namespace

std::vector<probe_report> read_probe_lines(const fs::path& probe_log) {
    std::vector<probe_report> out;
    for (const auto& line : read_lines(probe_log))
        if (auto r = protocol::decode_probe_line(line)) out.push_back(std::move(*r));
    return out;
}

std::vector<lab_event> find_markers(const lab::run_paths& paths, const std::string& nonce) {
    std::vector<lab_event> events;
    const std::string needle = "bbx-" + nonce + "-";
    std::error_code ec;
    fs::recursive_directory_iterator it(paths.root, fs::directory_options::skip_permission_denied, ec), end;
    for (; it != end; it.increment(ec)) {
        if (ec) break;
        const fs::path p = it->path();
        if (p == paths.logs() || p == paths.state()) {
            it.disable_recursion_pending();
            continue;
        }
        if (p.filename().string().find(needle) != std::string::npos)
            events.push_back({"marker", "file", fs::relative(p, paths.root, ec).string(), "", p.filename().string()});
    }
    // What git runs or reads, whatever its name: the config and the hooks.
    std::vector<fs::path> git_files{paths.workspace() / ".git" / "config"};
    for (const auto& e : fs::directory_iterator(paths.workspace() / ".git" / "hooks", ec)) git_files.push_back(e.path());
    for (const auto& f : git_files) {
        std::ifstream in(f, std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (const auto at = text.find(needle); at != std::string::npos)
            events.push_back({"marker", "content", fs::relative(f, paths.root, ec).string(), "",
                              text.substr(at > 80 ? at - 80 : 0, 200)});
    }
    return events;
}

collected_run collect_truth(const lab::run_paths& paths, const std::string& nonce, lab::token_map tokens) {
    collected_run c;
    c.truth.nonce = nonce;
    c.truth.tokens = std::move(tokens);
    c.truth.facts[std::string(fact_lab_link_v4)] = std::string(lab::link_lab_v4);
    for (const auto& line : read_lines(paths.logs() / "host-status.jsonl")) {
        auto s = protocol::decode_host_status(line);
        if (!s) {
            if (!c.host_error) c.host_error = make_error(errc::parse_error, "unreadable lab host status: " + s.error().message);
        } else if (s->what == protocol::host_status::kind::error) {
            if (!c.host_error) c.host_error = make_error(errc::io_error, s->text);
        } else if (s->what == protocol::host_status::kind::fact) {
            const auto eq = s->text.find('=');
            c.truth.lab_host[s->text.substr(0, eq)] = eq == std::string::npos ? "" : s->text.substr(eq + 1);
        } else {
            c.sandbox_exit = s->text;
        }
    }
    c.reports = read_probe_lines(paths.logs() / "probe.jsonl");
    for (const char* log : {"world.jsonl", "host.jsonl", "canary.jsonl"})
        for (const auto& line : read_lines(paths.logs() / log))
            if (auto e = protocol::decode_event_line(line)) c.truth.events.push_back(std::move(*e));
    // Optional listeners the sinks bound (lab/sink_listeners.hpp).
    for (const auto& e : c.truth.events)
        if (e.proto == "listen") c.truth.lab_host["listening:" + e.sink] = "yes";
    if (!c.sandbox_exit.empty())
        for (const char* phase : {"pre", "post"})
            for (auto& m : lab::missing_heartbeats(c.truth.events, nonce, phase)) c.missing_heartbeats.push_back(phase + (" " + m));
    // Sinks a profile runs itself (docker-lab.sh's sibling container) write
    // what they received to state/sinks/NAME: one "profile.NAME" record each.
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(paths.state() / "sinks", ec)) {
        std::ifstream in(f.path(), std::ios::binary);
        std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!data.empty())
            c.truth.events.push_back({"profile." + f.path().filename().string(), "tcp", "", "", data.substr(0, 64 * 1024), 0});
    }
    auto markers = find_markers(paths, nonce);
    c.truth.events.insert(c.truth.events.end(), markers.begin(), markers.end());
    // The canary's pid in the lab host's pid namespace: a probe that reports
    // it saw exactly that process saw the host's processes.
    std::ifstream canary_pid(paths.run() / "bbx" / "canary.pid");
    if (std::string pid; canary_pid >> pid) c.truth.facts[std::string(fact_canary_pid)] = pid;
    std::ifstream err(paths.logs() / "sandbox.stderr");
    std::stringstream ss;
    ss << err.rdbuf();
    c.sandbox_stderr = ss.str().substr(0, 2000);
    return c;
}

}  // namespace bottle::escape
