// bottle-escape gc: removes what killed runs left behind.
#include "run.hpp"

#include "../lab/network.hpp"
#include "../lab/run_paths.hpp"
#include "../lab/system.hpp"

#include <signal.h>

#include <fstream>

namespace bottle::escape {

namespace fs = std::filesystem;

std::vector<std::string> collect_garbage(const fs::path& work_root) {
    std::vector<std::string> removed;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(work_root, ec)) {
        const std::string name = e.path().filename();
        if (name.rfind("run-", 0) != 0) continue;
        std::ifstream in(lab::run_paths{e.path()}.owner());
        pid_t owner = 0;
        in >> owner;
        if (owner > 0 && kill(owner, 0) == 0) continue;  // still running
        const std::string id = name.substr(4, 8);
        for (const std::string& ns : {"bbx-" + id + "-lab", "bbx-" + id + "-world"}) {
            if (!lab::netns_exists(ns)) continue;
            lab::kill_namespace_processes(ns);
            (void)lab::run_command({"ip", "netns", "del", ns}, 10000);
            removed.push_back("network namespace " + ns);
        }
        fs::remove_all(e.path(), ec);
        removed.push_back("run directory " + e.path().string());
    }
    return removed;
}

}  // namespace bottle::escape
