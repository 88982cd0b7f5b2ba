// tests/preflight/fake_probes.hpp — a scripted system_probes for the checks.
//
// Everything unset behaves like an empty machine: files and sockets absent,
// nothing on PATH, commands unknown (an error naming the argv), /dev/kvm
// ENOENT, no Landlock. `healthy_host()` scripts a host where every check of
// every backend is ok; tests then break exactly one thing.
#pragma once

#include "bottle-preflight/system_probes.hpp"

#include <cerrno>
#include <map>
#include <string>
#include <vector>

namespace bottle::preflight::testing {

class fake_probes final : public system_probes {
public:
    std::map<std::string, result<std::string>> files;
    std::map<std::string, result<file_status>> stats;
    std::map<std::string, std::string> on_path;
    std::map<std::string, result<command_output>> commands;  ///< key: argv joined with ' '
    std::vector<std::string> ran;                            ///< every argv run, joined
    std::vector<std::chrono::milliseconds> timeouts;         ///< the timeout of each run
    std::map<std::string, int> open_errno;                   ///< absent = ENOENT
    syscall_outcome landlock{-1, ENOSYS};
    std::map<std::string, result<http_reply>> http;          ///< key: socket + ' ' + target
    std::vector<std::string> http_asked;
    std::map<std::string, std::string> env;
    unsigned euid = 1000;
    std::string os = "Linux";

    void file(const std::string& path, std::string content) { files.insert_or_assign(path, std::move(content)); }
    void file_error(const std::string& path, errc code) {
        files.insert_or_assign(path, make_error(code, "cannot open " + path + ": scripted failure"));
    }
    void command(const std::string& joined, int exit_code, std::string out, std::string err = {}) {
        commands.insert_or_assign(joined, command_output{exit_code, false, std::move(out), std::move(err)});
    }

    result<std::string> read_file(const std::string& path) override {
        if (auto it = files.find(path); it != files.end()) return it->second;
        return make_error(errc::not_found, "cannot open " + path + ": No such file or directory");
    }
    result<file_status> stat(const std::string& path) override {
        if (auto it = stats.find(path); it != stats.end()) return it->second;
        return file_status{};
    }
    std::optional<std::string> find_in_path(const std::string& name) override {
        if (auto it = on_path.find(name); it != on_path.end()) return it->second;
        return std::nullopt;
    }
    result<command_output> run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) override {
        std::string joined;
        for (const auto& a : argv) joined += (joined.empty() ? "" : " ") + a;
        ran.push_back(joined);
        timeouts.push_back(timeout);
        if (auto it = commands.find(joined); it != commands.end()) return it->second;
        return make_error(errc::internal, "fake: no scripted command '" + joined + "'");
    }
    int open_read_write(const std::string& path) override {
        if (auto it = open_errno.find(path); it != open_errno.end()) return it->second;
        return ENOENT;
    }
    syscall_outcome landlock_abi_version() override { return landlock; }
    result<http_reply> unix_http_get(const std::string& socket_path, const std::string& target,
                                     std::chrono::milliseconds) override {
        const std::string key = socket_path + " " + target;
        http_asked.push_back(key);
        if (auto it = http.find(key); it != http.end()) return it->second;
        return make_error(errc::not_found, "cannot connect to unix://" + socket_path + ": No such file or directory");
    }
    std::optional<std::string> getenv(const std::string& name) override {
        if (auto it = env.find(name); it != env.end()) return it->second;
        return std::nullopt;
    }
    unsigned effective_uid() override { return euid; }
    std::string os_name() override { return os; }
};

/// A host on which every check of every backend is ok.
inline fake_probes healthy_host() {
    fake_probes f;
    // native
    f.file("/proc/sys/user/max_user_namespaces", "63457\n");
    f.file("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "0\n");
    f.on_path["bwrap"] = "/usr/bin/bwrap";
    f.command("/usr/bin/bwrap --version", 0, "bubblewrap 0.8.0\n");
    f.file("/proc/sys/kernel/seccomp/actions_avail", "kill_process kill_thread trap errno user_notif trace log allow\n");
    f.file("/proc/self/status", "Name:\tx\nSeccomp:\t0\nSeccomp_filters:\t0\n");
    f.landlock = {6, 0};
    f.file("/proc/self/mounts",
           "proc /proc proc rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n");
    f.file("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
    // docker
    f.on_path["docker"] = "/usr/bin/docker";
    f.command("/usr/bin/docker --version", 0, "Docker version 24.0.7, build afdd53b\n");
    f.http.insert_or_assign("/var/run/docker.sock /_ping", http_reply{200, "OK"});
    f.http.insert_or_assign("/var/run/docker.sock /info",
                            http_reply{200, R"({"ServerVersion":"24.0.7","Runtimes":{"io.containerd.runc.v2":{},"runc":{},"runsc":{"path":"/usr/local/bin/runsc"}},"DefaultRuntime":"runc"})"});
    // smolmachines
    f.on_path["smolvm"] = "/usr/local/bin/smolvm";
    f.command("/usr/local/bin/smolvm --version", 0, "smolvm 1.9.2\n");
    f.open_errno["/dev/kvm"] = 0;
    f.env["HOME"] = "/home/dev";
    f.stats.insert_or_assign("/home/dev/.local/share/smolvm/server/smolvm.db", file_status{file_kind::regular, 4096});
    return f;
}

}  // namespace bottle::preflight::testing
