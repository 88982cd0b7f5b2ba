// Resources: a cgroup per bottle (v2 where the host has it, the v1
// controllers where it does not), created by the launcher before the bottle
// forks its agent, emptied and removed at teardown with the shared parent
// `bot-bottle` when no other bottle is in it; rlimits as the last resort,
// set by the agent itself.
#include "bottle-run/backends/native/steps.hpp"

#include "bottle/os/file.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <sstream>
#include <thread>

namespace bottle::run::native {

namespace {

constexpr const char* cgroup_base = "/sys/fs/cgroup";

result<void> make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
        return make_error(errc::permission_denied, "cgroup: mkdir " + path + ": " + std::strerror(errno));
    return {};
}

result<void> put(const std::string& path, const std::string& value) {
    auto r = os::write_file(path, value, 0644);
    if (!r) return error{r.error().code, "cgroup: " + r.error().message};
    return {};
}

/// How often a launch re-creates the shared parent that another bottle's
/// teardown removed between our two mkdirs: each retry needs that race to
/// be lost again, so a few are plenty.
constexpr int parent_attempts = 8;

}  // namespace

result<std::string> make_bottle_cgroup_dir(const std::string& parent, const std::string& id,
                                           const std::function<void(const std::string&)>& on_parent) {
    const std::string dir = parent + "/" + id;
    for (int attempt = 0; attempt < parent_attempts; ++attempt) {
        if (auto r = make_dir(parent); !r) return r.error();
        if (on_parent) on_parent(parent);
        if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return dir;
        if (errno != ENOENT) return make_error(errc::permission_denied, "cgroup: mkdir " + dir + ": " + std::strerror(errno));
        // ENOENT: the parent went (another bottle's teardown) after our mkdir of it.
    }
    return make_error(errc::io_error, "cgroup: mkdir " + dir + ": its parent kept disappearing (" + std::to_string(parent_attempts) + " attempts)");
}

void remove_bottle_cgroup_dir(const std::string& dir) noexcept {
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) return;  // still busy: gc's work later
    const auto slash = dir.rfind('/');
    if (slash == std::string::npos || slash == 0) return;
    // Fails with EBUSY (v1), ENOTEMPTY or EEXIST while another bottle's
    // cgroup is in it, which is then that bottle's to remove.
    (void)::rmdir(dir.substr(0, slash).c_str());
}

result<bottle_cgroup> bottle_cgroup::create(const native_plan& plan) {
    bottle_cgroup cg;
    const auto& l = plan.limits;
    if (l.mechanism == limit_mechanism::cgroup_v2) {
        cg.v2_ = true;
        auto made = make_bottle_cgroup_dir(std::string(cgroup_base) + "/bot-bottle", plan.bottle_id, [](const std::string& parent) {
            (void)put(parent + "/cgroup.subtree_control", "+cpu +memory +pids");
        });
        if (!made) return made.error();
        const std::string dir = *made;
        cg.dirs_.push_back(dir);
        if (l.memory_mib) if (auto r = put(dir + "/memory.max", std::to_string(std::uint64_t{*l.memory_mib} << 20)); !r) return r.error();
        if (l.pids) if (auto r = put(dir + "/pids.max", std::to_string(*l.pids)); !r) return r.error();
        if (l.cpus) if (auto r = put(dir + "/cpu.max", std::to_string(*l.cpus * 100000u) + " 100000"); !r) return r.error();
        return cg;
    }
    if (l.mechanism != limit_mechanism::cgroup_v1) return cg;
    auto controller = [&](const char* name) -> result<std::string> {
        auto made = make_bottle_cgroup_dir(std::string(cgroup_base) + "/" + name + "/bot-bottle", plan.bottle_id, nullptr);
        if (!made) return made.error();
        cg.dirs_.push_back(*made);
        return *made;
    };
    if (l.memory_mib) {
        auto d = controller("memory");
        if (!d) return d.error();
        if (auto r = put(*d + "/memory.limit_in_bytes", std::to_string(std::uint64_t{*l.memory_mib} << 20)); !r) return r.error();
    }
    if (l.pids) {
        auto d = controller("pids");
        if (!d) return d.error();
        if (auto r = put(*d + "/pids.max", std::to_string(*l.pids)); !r) return r.error();
    }
    if (l.cpus) {
        auto d = controller("cpu");
        if (!d) return d.error();
        if (auto r = put(*d + "/cpu.cfs_period_us", "100000"); !r) return r.error();
        if (auto r = put(*d + "/cpu.cfs_quota_us", std::to_string(*l.cpus * 100000u)); !r) return r.error();
    }
    return cg;
}

result<void> bottle_cgroup::add(pid_t pid) {
    for (const auto& d : dirs_)
        if (auto r = put(d + "/cgroup.procs", std::to_string(pid)); !r) return r;
    return {};
}

void bottle_cgroup::remove() noexcept {
    for (const auto& d : dirs_) {
        if (v2_) (void)put(d + "/cgroup.kill", "1");
        for (int attempt = 0; attempt < 50; ++attempt) {
            auto procs = os::read_file(d + "/cgroup.procs", 1 << 20);
            if (!procs || procs->empty()) break;
            std::istringstream in(*procs);
            for (long pid = 0; in >> pid;)
                if (pid > 1) ::kill(static_cast<pid_t>(pid), SIGKILL);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        remove_bottle_cgroup_dir(d);
    }
    dirs_.clear();
}

result<void> apply_rlimits(const limits_plan& l) {
    if (l.mechanism != limit_mechanism::rlimit) return {};
    if (l.memory_mib) {
        const rlim_t bytes = static_cast<rlim_t>(*l.memory_mib) << 20;
        rlimit r{bytes, bytes};
        if (::setrlimit(RLIMIT_AS, &r) != 0) return make_error(errc::io_error, std::string("rlimit: address space: ") + std::strerror(errno));
    }
    // Processes: since Linux 5.14 RLIMIT_NPROC is counted per user namespace,
    // so in the bottle's own namespace it counts the bottle's processes (its
    // PID 1 included) and bounds a fork bomb when no cgroup can.
    if (l.pids) {
        rlimit r{*l.pids, *l.pids};
        if (::setrlimit(RLIMIT_NPROC, &r) != 0) return make_error(errc::io_error, std::string("rlimit: processes: ") + std::strerror(errno));
    }
    return {};
}

}  // namespace bottle::run::native
