#include "memory_limits.hpp"

#include "../protocol/lines.hpp"
#include "log_file.hpp"
#include "system.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <sstream>

namespace bottle::escape::lab {

namespace fs = std::filesystem;

namespace {

// The v1 page counter's "no limit" is PAGE_COUNTER_MAX pages (about 2^63
// bytes); no real limit comes near 2^62.
constexpr byte_count v1_unlimited_floor = byte_count{1} << 62;

std::string slurp(const fs::path& p, bool& ok) {
    const auto text = read_small_file(p);
    ok = text.has_value();
    return text.value_or(std::string());
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    return std::string(s);
}

std::optional<byte_count> parse_count(std::string_view s) {
    byte_count v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::string show(const std::optional<byte_count>& v) { return v ? std::to_string(*v) : std::string("unlimited"); }

}  // namespace

std::optional<std::string> read_small_file(const fs::path& p, std::size_t cap) {
    const int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            close(fd);
            return std::nullopt;
        }
        if (n == 0 || out.size() >= cap) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    close(fd);
    return out;
}

std::optional<byte_count> memory_confinement::effective() const {
    std::optional<byte_count> e;
    for (const auto& v : {cgroup_limit, rlimit_as, rlimit_data})
        if (v && (!e || *v < *e)) e = v;
    return e;
}

std::string memory_confinement::describe() const {
    std::string s = "pid " + std::to_string(pid) + (process.empty() ? "" : " (" + process + ")") + ": cgroup " + (cgroup.empty() ? std::string("?") : cgroup) + " ";
    s += cgroup_limit ? "limit " + std::to_string(*cgroup_limit) + " (set by " + cgroup_limit_at + ")" : std::string("no limit up to the root");
    s += ", RLIMIT_AS " + show(rlimit_as) + ", RLIMIT_DATA " + show(rlimit_data);
    if (!unreadable.empty()) s += "; unreadable: " + unreadable;
    return s;
}

std::optional<cgroup_ref> memory_cgroup(std::string_view proc_cgroup) {
    std::optional<cgroup_ref> unified;
    std::istringstream in{std::string(proc_cgroup)};
    for (std::string line; std::getline(in, line);) {
        // "hierarchy-id:controller-list:path"; the path may itself hold ':'.
        const auto a = line.find(':');
        const auto b = a == std::string::npos ? std::string::npos : line.find(':', a + 1);
        if (b == std::string::npos) continue;
        const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
        if (line.substr(0, a) == "0" && controllers.empty()) {
            unified = cgroup_ref{"v2", path};
            continue;
        }
        std::istringstream list(controllers);
        for (std::string c; std::getline(list, c, ',');)
            if (c == "memory") return cgroup_ref{"v1", path};
    }
    return unified;
}

std::optional<byte_count> soft_limit(std::string_view proc_limits, std::string_view row, bool& found) {
    found = false;
    std::istringstream in{std::string(proc_limits)};
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(row, 0) != 0) continue;
        std::istringstream rest(line.substr(row.size()));
        std::string soft;
        if (!(rest >> soft)) return std::nullopt;
        if (soft == "unlimited") {
            found = true;
            return std::nullopt;
        }
        const auto v = parse_count(soft);
        found = v.has_value();
        return v;
    }
    return std::nullopt;
}

std::optional<byte_count> cgroup_limit_value(std::string_view text, bool& ok) {
    const std::string t = trim(text);
    ok = true;
    if (t == "max") return std::nullopt;
    const auto v = parse_count(t);
    if (!v) {
        ok = false;
        return std::nullopt;
    }
    if (*v >= v1_unlimited_floor) return std::nullopt;
    return v;
}

memory_confinement read_memory_confinement(int pid, const fs::path& proc_pid, const fs::path& cgroup_root) {
    memory_confinement c;
    c.pid = pid;
    auto note = [&](const std::string& what) { c.unreadable += (c.unreadable.empty() ? "" : ", ") + what; };
    bool ok = false;
    const std::string cg_text = slurp(proc_pid / "cgroup", ok);
    const auto ref = ok ? memory_cgroup(cg_text) : std::nullopt;
    if (!ref) {
        note(ok ? "no memory cgroup in /proc/PID/cgroup" : "/proc/PID/cgroup");
    } else {
        c.cgroup = (ref->version == "v1" ? "memory:" : "") + ref->path;
        const fs::path base = ref->version == "v1" ? cgroup_root / "memory" : cgroup_root;
        const char* file = ref->version == "v1" ? "memory.limit_in_bytes" : "memory.max";
        // From the cgroup itself up to the root: a limit anywhere applies.
        fs::path rel = fs::path(ref->path).relative_path();
        bool any_read = false;
        for (;;) {
            bool read_ok = false;
            const std::string text = slurp(base / rel / file, read_ok);
            if (read_ok) {
                any_read = true;
                bool parsed = false;
                const auto v = cgroup_limit_value(text, parsed);
                if (!parsed) note(std::string(file) + " of /" + rel.string());
                if (v && (!c.cgroup_limit || *v < *c.cgroup_limit)) {
                    c.cgroup_limit = v;
                    c.cgroup_limit_at = (ref->version == "v1" ? "memory:/" : "/") + rel.string();
                }
            }
            if (rel.empty()) break;
            rel = rel.parent_path();
        }
        if (!any_read) note("the cgroup's " + std::string(file) + " (is " + base.string() + " mounted?)");
    }
    const std::string limits = slurp(proc_pid / "limits", ok);
    if (!ok) {
        note("/proc/PID/limits");
    } else {
        bool found = false;
        c.rlimit_as = soft_limit(limits, "Max address space", found);
        if (!found) note("RLIMIT_AS");
        c.rlimit_data = soft_limit(limits, "Max data size", found);
        if (!found) note("RLIMIT_DATA");
    }
    return c;
}

std::optional<byte_count> mem_total(std::string_view proc_meminfo) {
    std::istringstream in{std::string(proc_meminfo)};
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("MemTotal:", 0) != 0) continue;
        std::istringstream rest(line.substr(9));
        std::string kb, unit;
        rest >> kb >> unit;
        const auto v = parse_count(kb);
        if (!v || unit != "kB") return std::nullopt;
        return *v * 1024;
    }
    return std::nullopt;
}

namespace {

std::string_view argv0_name(std::string_view cmdline) {
    const std::string_view argv0 = cmdline.substr(0, std::min(cmdline.find('\0'), cmdline.size()));
    const auto slash = argv0.rfind('/');
    return slash == std::string_view::npos ? argv0 : argv0.substr(slash + 1);
}

}  // namespace

bool is_memory_process(std::string_view cmdline, std::string_view name) {
    return !name.empty() && argv0_name(cmdline) == name;
}

bool is_probe_of_run(std::string_view cmdline, std::string_view nonce) {
    std::vector<std::string_view> argv;
    for (std::size_t start = 0; start < cmdline.size();) {
        const auto end = std::min(cmdline.find('\0', start), cmdline.size());
        argv.push_back(cmdline.substr(start, end - start));
        start = end + 1;
    }
    if (argv.size() < 4) return false;
    const std::string_view prog = argv[0].substr(argv[0].rfind('/') == std::string_view::npos ? 0 : argv[0].rfind('/') + 1);
    if (prog != "bottle-probe" || argv[1] != "run") return false;
    for (std::size_t i = 2; i + 1 < argv.size(); ++i)
        if (argv[i] == "--nonce" && argv[i + 1] == nonce) return true;
    return false;
}

bool still_running(const std::string& proc_pid, std::string_view cmdline) {
    const auto again = read_small_file(proc_pid + "/cmdline");
    if (!again || *again != cmdline) return false;
    const auto stat = read_small_file(proc_pid + "/stat");
    const auto close = stat ? stat->rfind(')') : std::string::npos;
    if (close == std::string::npos) return false;
    // After "(comm)": state ppid pgrp session tty_nr tpgid flags ...
    std::istringstream in(stat->substr(close + 1));
    std::string state;
    long long skip = 0;
    unsigned long long flags = 0;
    in >> state >> skip >> skip >> skip >> skip >> skip >> flags;
    constexpr unsigned long long pf_exiting = 0x4;
    return static_cast<bool>(in) && state != "Z" && state != "X" && (flags & pf_exiting) == 0;
}

limits_sampler::limits_sampler(std::string nonce, int log_fd, std::string memory_process)
    : nonce_(std::move(nonce)), log_fd_(log_fd), memory_process_(std::move(memory_process)) {
    if (memory_process_.empty()) return;
    for (const int pid : list_pids())
        if (const auto cmd = read_small_file("/proc/" + std::to_string(pid) + "/cmdline"); cmd && is_memory_process(*cmd, memory_process_))
            before_.insert(pid);
}

void limits_sampler::log_confinement(const memory_confinement& c) {
    const std::string data = limits_event_data(c.effective(), c.unreadable.empty(), c.describe());
    if (seen_.insert(data.substr(data.find(": ") + 2)).second)
        append_line(log_fd_, protocol::encode(protocol::lab_event{std::string(limits_sink), "memory", "pid " + std::to_string(c.pid),
                                                                  "", data, wall_ms()}));
}

int limits_sampler::sample() {
    int alive = 0;
    for (const int pid : list_pids()) {
        const std::string dir = "/proc/" + std::to_string(pid);
        const auto cmd = read_small_file(dir + "/cmdline");
        if (!cmd) continue;
        // Each sample is kept only if the process still runs the same
        // program once it is read (still_running).
        if (is_probe_of_run(*cmd, nonce_)) {
            ++alive;
            if (auto c = read_memory_confinement(pid, dir, "/sys/fs/cgroup"); still_running(dir, *cmd)) log_confinement(c);
        } else if (!memory_process_.empty() && !before_.contains(pid) && is_memory_process(*cmd, memory_process_)) {
            auto c = read_memory_confinement(pid, dir, "/sys/fs/cgroup");
            c.process = memory_process_;
            if (still_running(dir, *cmd)) log_confinement(c);
        }
    }
    return alive;
}

}  // namespace bottle::escape::lab
