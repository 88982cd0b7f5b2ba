// bottle-escape gc: removes what killed runs left behind.
#include "run.hpp"

#include "gc.hpp"

#include "../lab/lab_cgroup.hpp"
#include "../lab/network.hpp"
#include "../lab/run_paths.hpp"
#include "../lab/system.hpp"

#include <signal.h>

#include <fstream>

namespace bottle::escape {

namespace fs = std::filesystem;

std::vector<std::string> collect_garbage(const fs::path& work_root) {
    std::vector<run_dir_state> dirs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(work_root, ec)) {
        std::ifstream in(lab::run_paths{e.path()}.owner());
        pid_t owner = 0;
        in >> owner;
        dirs.push_back({e.path().filename().string(), owner > 0 && kill(owner, 0) == 0});
    }
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator("/run/netns", ec)) names.push_back(e.path().filename().string());
    std::vector<std::string> cgroups;
    for (const char* h : {"", "pids", "freezer"})
        for (const auto& e : fs::directory_iterator(fs::path("/sys/fs/cgroup") / h, ec))
            if (e.is_directory(ec)) cgroups.push_back(e.path().filename().string());
    const auto plan = plan_gc(names, dirs, cgroups);
    std::vector<std::string> removed;
    for (const auto& ns : plan.namespaces) {
        lab::kill_namespace_processes(ns);
        (void)lab::run_command({"ip", "netns", "del", ns}, 10000);
        removed.push_back("network namespace " + ns);
    }
    for (const auto& cg : plan.cgroups) {
        lab::lab_cgroup stale(cg);
        if (stale.adopt()) removed.push_back("lab cgroup " + cg);
        stale.destroy();
    }
    for (const auto& d : plan.run_dirs) {
        fs::remove_all(work_root / d, ec);
        removed.push_back("run directory " + (work_root / d).string());
    }
    return removed;
}

}  // namespace bottle::escape
