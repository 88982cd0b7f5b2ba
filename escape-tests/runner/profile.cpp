#include "profile.hpp"

#include "../lab/memory_limits.hpp"
#include "../lab/system.hpp"

#include <boost/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace bottle::escape {

namespace {

result<std::vector<std::string>> string_list(const boost::json::value& v, const std::string& where) {
    if (!v.is_array()) return make_error(errc::parse_error, where + ": must be a list of strings");
    std::vector<std::string> out;
    for (const auto& e : v.as_array()) {
        if (!e.is_string()) return make_error(errc::parse_error, where + ": must be a list of strings");
        out.emplace_back(e.as_string());
    }
    return out;
}

}  // namespace

result<profile> load_profile(const std::filesystem::path& dir, const std::string& name,
                             const std::vector<std::string>& custom_prefix) {
    profile p;
    if (name == "custom") {
        if (custom_prefix.empty())
            return make_error(errc::invalid_argument, "--sandbox custom needs --prefix 'COMMAND ARGS...'");
        p.name = "custom";
        p.description = "custom command prefix: " + lab::quote_command(custom_prefix);
        p.requires_programs = {custom_prefix.front()};
        p.command = custom_prefix;
        p.command.push_back("{probe}");
        p.command.push_back("{probe_args}");
        return p;
    }
    if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos)
        return make_error(errc::invalid_argument, "profile name '" + name + "' is not valid (letters, digits, - and _)");
    const auto path = dir / (name + ".json");
    std::ifstream in(path);
    if (!in) {
        std::string known;
        for (const auto& n : list_profiles(dir)) known += (known.empty() ? "" : ", ") + n;
        return make_error(errc::not_found, "no profile '" + name + "' in " + dir.string() + " (known: " + known + ")");
    }
    std::stringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    const auto v = boost::json::parse(ss.str(), ec);
    if (ec || !v.is_object()) return make_error(errc::parse_error, path.string() + ": not a JSON object: " + ec.message());
    const auto where = [&](std::string_view key) { return path.string() + ": /" + std::string(key); };
    for (const auto& [key, value] : v.as_object()) {
        if (key == "name" && value.is_string()) p.name = value.as_string();
        else if (key == "description" && value.is_string()) p.description = value.as_string();
        else if (key == "allows_upstream" && value.is_bool()) p.allows_upstream = value.as_bool();
        else if (key == "lab_proxy" && value.is_string() && (value.as_string() == "open" || value.as_string() == "rewrite"))
            p.lab_proxy = value.as_string();
        else if (key == "memory_process" && value.is_string() && lab::valid_memory_process_name(value.as_string()))
            p.memory_process = value.as_string();
        else if (key == "run_as" && value.is_string() && (value.as_string() == "root" || value.as_string() == "user"))
            p.run_as_root = value.as_string() == "root";
        else if (key == "probe_timeout_ms" && value.is_int64() && value.as_int64() >= 100 && value.as_int64() <= 60000)
            p.probe_timeout_ms = static_cast<int>(value.as_int64());
        else if (key == "probe_jobs" && value.is_int64() && value.as_int64() >= 1 && value.as_int64() <= 16)
            p.probe_jobs = static_cast<int>(value.as_int64());
        else if (key == "requires" || key == "version" || key == "setup" || key == "teardown" || key == "command") {
            auto list = string_list(value, where(key));
            if (!list) return list.error();
            (key == "requires" ? p.requires_programs : key == "version" ? p.version : key == "setup" ? p.setup
                                                       : key == "teardown" ? p.teardown : p.command) = std::move(*list);
        } else if (key == "files" && value.is_object()) {
            for (const auto& [f, content] : value.as_object()) {
                const std::string fname(f);
                if (fname.find('/') != std::string::npos || fname.empty() || fname[0] == '.')
                    return make_error(errc::parse_error, where("files") + ": file name '" + fname + "' must be a plain name");
                p.files[fname] = content;
            }
        } else if (key == "env" && value.is_object()) {
            for (const auto& [k, val] : value.as_object()) {
                if (!val.is_string()) return make_error(errc::parse_error, where("env") + ": values must be strings");
                p.env[std::string(k)] = std::string(val.as_string());
            }
        } else {
            return make_error(errc::parse_error, where(key) + (key == "run_as"             ? ": must be \"user\" or \"root\""
                                                 : key == "lab_proxy"        ? ": must be \"open\" or \"rewrite\""
                                                 : key == "memory_process"   ? ": must be a program name (argv[0]'s last part: no '/', no space)"
                                                 : key == "probe_timeout_ms" ? ": must be an integer, 100..60000"
                                                 : key == "probe_jobs"       ? ": must be an integer, 1..16"
                                                                             : ": unknown key or wrong type"));
        }
    }
    if (p.name != name) return make_error(errc::parse_error, path.string() + ": /name must be \"" + name + "\"");
    if (std::find(p.command.begin(), p.command.end(), "{probe_args}") == p.command.end() &&
        std::none_of(p.command.begin(), p.command.end(), [](const std::string& a) { return a.find("{probe_cmdline}") != std::string::npos; }))
        return make_error(errc::parse_error, path.string() + ": /command must contain {probe_args} or {probe_cmdline}");
    return p;
}

std::vector<std::string> list_profiles(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.path().extension() == ".json") names.push_back(e.path().stem());
    std::sort(names.begin(), names.end());
    return names;
}

result<std::vector<std::string>> bin_placeholders(const std::vector<std::string>& texts) {
    static constexpr std::string_view open = "{bin:";
    std::set<std::string> names;
    for (const auto& t : texts)
        for (std::size_t at = t.find(open); at != std::string::npos; at = t.find(open, at + 1)) {
            const auto close = t.find('}', at);
            if (close == std::string::npos)
                return make_error(errc::parse_error, "'" + t.substr(at, 40) + "': {bin:NAME} has no closing brace");
            const std::string name = t.substr(at + open.size(), close - at - open.size());
            if (name.empty() || name.find_first_of("/{: \t") != std::string::npos)
                return make_error(errc::parse_error, "'{bin:" + name + "}': NAME must be a program name (no '/', ':', space or brace)");
            names.insert(name);
        }
    return std::vector<std::string>(names.begin(), names.end());
}

result<std::map<std::string, std::string>> resolve_bins(const profile& p, const std::string& search_path,
                                                        const std::vector<std::string>& extra_dirs) {
    std::vector<std::string> texts = p.command;
    for (const auto* list : {&p.setup, &p.teardown, &p.version}) texts.insert(texts.end(), list->begin(), list->end());
    for (const auto& [k, v] : p.env) texts.push_back(v);
    for (const auto& [f, content] : p.files)
        texts.push_back(content.is_string() ? std::string(content.as_string()) : boost::json::serialize(content));
    auto names = bin_placeholders(texts);
    if (!names) return names.error();
    std::vector<std::string> dirs;
    std::stringstream ss(search_path);
    for (std::string d; std::getline(ss, d, ':');)
        if (!d.empty() && d[0] == '/') dirs.push_back(d);  // a relative PATH entry would depend on the lab's cwd
    for (const auto& d : extra_dirs)
        if (!d.empty() && d[0] == '/') dirs.push_back(d);
    std::map<std::string, std::string> out;
    for (const auto& name : *names) {
        if (std::find(p.requires_programs.begin(), p.requires_programs.end(), name) == p.requires_programs.end())
            return make_error(errc::parse_error, "profile '" + p.name + "' uses {bin:" + name + "} but does not list '" + name +
                                                     "' in /requires");
        for (const auto& d : dirs) {
            const std::string candidate = d + "/" + name;
            struct stat st{};
            if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0) {
                out[name] = candidate;
                break;
            }
        }
        if (!out.count(name))
            return make_error(errc::not_found, "profile '" + p.name + "' needs '" + name + "' ({bin:" + name +
                                                   "}), which is not on the runner's PATH: the profile cannot run on this host");
    }
    return out;
}

std::string expand(const std::string& text, const expansion& x) {
    std::string cmdline = lab::quote_command({x.probe});
    for (const auto& a : x.probe_args) cmdline += " " + lab::quote_command({a});
    const std::pair<std::string, std::string> vars[] = {{"{probe_cmdline}", cmdline}, {"{probe}", x.probe},
                                                        {"{state}", x.state},          {"{profiles}", x.profiles},
                                                        {"{node_bin}", x.node_bin},    {"{nonce}", x.nonce},
                                                        {"{workspace}", x.workspace}, {"{home}", x.home}};
    std::string out = text;
    for (const auto& [name, path] : x.bins) {
        const std::string key = "{bin:" + name + "}";
        for (std::size_t at = out.find(key); at != std::string::npos; at = out.find(key, at + path.size()))
            out.replace(at, key.size(), path);
    }
    for (const auto& [key, value] : vars)
        for (std::size_t at = out.find(key); at != std::string::npos; at = out.find(key, at + value.size()))
            out.replace(at, key.size(), value);
    return out;
}

std::vector<std::string> expand(const std::vector<std::string>& argv, const expansion& x) {
    std::vector<std::string> out;
    for (const auto& a : argv) {
        if (a == "{probe_args}") out.insert(out.end(), x.probe_args.begin(), x.probe_args.end());
        else out.push_back(expand(a, x));
    }
    return out;
}

}  // namespace bottle::escape
