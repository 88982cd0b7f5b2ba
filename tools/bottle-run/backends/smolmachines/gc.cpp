// gc for smolvm bottles: what a killed launcher left (machine, stage
// directory, alias record). The bundle process and the state record are
// the generic gc's (state.cpp).
#include "bottle-run/backends/smolmachines/alias.hpp"
#include "bottle-run/backends/smolmachines/launch.hpp"
#include "bottle-run/backends/smolmachines/steps.hpp"

#include "bottle/os/file.hpp"

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>

namespace bottle::run::smolmachines {

int collect_leftovers(const std::string& state_dir, const std::set<std::string>& live, std::ostream& err) {
    int cleaned = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(state_dir, ec)) {
        const std::string name = e.path().filename().string();
        constexpr std::string_view suffix = ".smolvm";
        if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
        const std::string id = name.substr(0, name.size() - suffix.size());
        if (live.count(id) || launcher_still_running(state_dir, id)) continue;  // begun since gc listed the live ones
        // The stage directory is shared into the guest: nothing in it is
        // trusted (a launcher.json naming another program as "smolvm" would
        // be run by gc). The machine is the bottle id (plan.cpp); smolvm is
        // the one on gc's own PATH.
        const char* path_var = std::getenv("PATH");
        const auto smolvm = find_on_path("smolvm", path_var ? path_var : "");
        if (!smolvm) {
            err << "bottle-run: gc: smolvm is not on PATH, cannot delete machine " << id << "; kept " << e.path().string() << '\n';
            continue;
        }
        std::vector<std::string> env;
        for (char** p = environ; *p; ++p) env.emplace_back(*p);
        (void)run_step({*smolvm, "machine", "stop", "-n", id}, env, std::chrono::seconds(30));
        auto d = run_step({*smolvm, "machine", "delete", "-n", id, "-f"}, env, std::chrono::seconds(30));
        const bool gone = d && (d->succeeded() || d->err.find("not found") != std::string::npos);
        if (!gone) {
            // Keep the stage directory: the next gc tries again. (The alias
            // stays held by the machine's stored allowlist.)
            err << "bottle-run: gc: could not delete smolvm machine " << id << ": " << (d ? step_failure(*d) : d.error().message)
                << "; kept " << e.path().string() << '\n';
            continue;
        }
        std::filesystem::remove_all(e.path(), ec);
        ++cleaned;
    }
    auto released = reclaim_aliases(state_dir, live);
    if (!released) err << "bottle-run: gc: aliases: " << released.error().message << '\n';
    return cleaned;
}

}  // namespace bottle::run::smolmachines
