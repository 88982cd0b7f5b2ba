// escape-tests/runner/gc.hpp — what `bottle-escape gc` removes, decided from
// what it finds (pure, unit-tested), so a killed run's leftovers go however
// far it got: namespaces are found by their names in /run/netns, not only
// through run directories (a run killed before or after its directory
// existed leaves namespaces without one).
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace bottle::escape {

/// One run directory: its 8-digit network id (the nonce's first 8 digits)
/// and whether its owner process is still alive.
struct run_dir_state {
    std::string name;  ///< "run-<nonce>"
    bool owner_alive = false;
};

struct gc_plan {
    std::vector<std::string> namespaces;  ///< "bbx-<id>-lab" / "-world" to kill and delete
    std::vector<std::string> run_dirs;    ///< run directory names to remove
    std::vector<std::string> cgroups;     ///< "bbx-lab-<id>" lab-host cgroups to empty and remove
};

/// Namespaces named bbx-<8 hex>-lab|world belong to a live run only when a
/// run directory with that id has a live owner; everything else of the
/// harness's is stale. Other namespaces are never touched.
/// Lab-host cgroups (lab/lab_cgroup.hpp) named bbx-lab-<8 hex> likewise.
[[nodiscard]] inline gc_plan plan_gc(const std::vector<std::string>& netns_names, const std::vector<run_dir_state>& run_dirs,
                                     const std::vector<std::string>& cgroup_names = {}) {
    gc_plan plan;
    std::set<std::string> live_ids;
    for (const auto& d : run_dirs) {
        if (d.name.rfind("run-", 0) != 0 || d.name.size() < 12) continue;
        if (d.owner_alive) live_ids.insert(d.name.substr(4, 8));
        else plan.run_dirs.push_back(d.name);
    }
    for (const auto& ns : netns_names) {
        // bbx-XXXXXXXX-lab / bbx-XXXXXXXX-world
        if (ns.size() < 16 || ns.rfind("bbx-", 0) != 0 || ns[12] != '-') continue;
        const std::string id = ns.substr(4, 8), kind = ns.substr(13);
        if (id.find_first_not_of("0123456789abcdef") != std::string::npos || (kind != "lab" && kind != "world")) continue;
        if (!live_ids.count(id)) plan.namespaces.push_back(ns);
    }
    for (const auto& cg : cgroup_names) {
        if (cg.size() != 16 || cg.rfind("bbx-lab-", 0) != 0) continue;
        const std::string id = cg.substr(8);
        if (id.find_first_not_of("0123456789abcdef") != std::string::npos) continue;
        if (!live_ids.count(id) &&
            std::find(plan.cgroups.begin(), plan.cgroups.end(), cg) == plan.cgroups.end())
            plan.cgroups.push_back(cg);
    }
    return plan;
}

}  // namespace bottle::escape
