// gc for smolvm bottles: what a killed launcher left (machine, stage
// directory, alias record). The bundle process and the state record are
// the generic gc's (state.cpp).
#include "bottle-run/backends/smolmachines/alias.hpp"
#include "bottle-run/backends/smolmachines/launch.hpp"
#include "bottle-run/backends/smolmachines/steps.hpp"

#include "bottle/os/file.hpp"

#include <boost/json.hpp>

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
        if (live.count(id)) continue;
        auto text = os::read_file(e.path().string() + "/launcher.json", 1 << 16);
        if (text) {
            try {
                const auto j = boost::json::parse(*text).as_object();
                const std::string smolvm(j.at("smolvm").as_string());
                const std::string machine(j.at("machine").as_string());
                std::vector<std::string> env;
                for (char** p = environ; *p; ++p) env.emplace_back(*p);
                (void)run_step({smolvm, "machine", "stop", "-n", machine}, env, std::chrono::seconds(30));
                auto d = run_step({smolvm, "machine", "delete", "-n", machine, "-f"}, env, std::chrono::seconds(30));
                if (!d || !d->succeeded())
                    err << "bottle-run: gc: could not delete smolvm machine " << machine << ": "
                        << (d ? step_failure(*d) : d.error().message) << '\n';
            } catch (const std::exception& x) {
                err << "bottle-run: gc: " << e.path().string() << "/launcher.json: " << x.what() << '\n';
            }
        }
        std::filesystem::remove_all(e.path(), ec);
        ++cleaned;
    }
    auto released = reclaim_aliases(state_dir, live);
    if (!released) err << "bottle-run: gc: aliases: " << released.error().message << '\n';
    return cleaned;
}

}  // namespace bottle::run::smolmachines
