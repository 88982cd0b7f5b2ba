// tools/bottle-run/backends/docker/gc.hpp — docker leftovers of launchers
// that were killed.
//
// A launcher killed with SIGKILL cannot remove its containers and networks;
// they carry the labels of plan.hpp, the launcher label "<boot id>/<pid>"
// among them. A bottle is stale when its launcher is gone: another boot of
// this host, or this boot and no bottle-run at that pid. gc removes a stale
// bottle's containers (forced) and then its networks; a bottle whose
// launcher runs is never touched.
#pragma once

#include "bottle-run/backends/docker/engine.hpp"

#include <boost/json/value.hpp>

#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace bottle::run::docker {

/// Is the launcher named by `label` ("<boot id>/<pid>") gone? `boot_id` is
/// this boot's; `alive(pid)` says whether that pid is a running bottle-run.
template <class Alive>
[[nodiscard]] bool launcher_gone(const std::string& label, const std::string& boot_id, Alive&& alive) {
    const auto slash = label.rfind('/');
    if (slash == std::string::npos || slash + 1 >= label.size()) return true;  // not a label we write: stale
    if (label.substr(0, slash) != boot_id) return true;
    long pid = 0;
    for (char c : label.substr(slash + 1)) {
        if (c < '0' || c > '9' || pid > (1L << 30)) return true;
        pid = pid * 10 + (c - '0');
    }
    return pid <= 1 || !alive(static_cast<int>(pid));
}

struct leftover {
    std::string bottle_id{}, kind{}, name{};  ///< kind: container or network
    std::string pool_prefix{};                ///< a pool entry's (pool.hpp): its files go too
};

/// The label `key` of a listed or inspected item's "Labels" ("" when absent).
[[nodiscard]] std::string label_of(const boost::json::value& item, const char* key);

/// What gc found: the stale bottles' containers and networks (containers
/// first) and the stale entries of `state_dir`'s pool (pool.hpp:
/// pooled_state; a waiting entry whose container does not run is stale;
/// with `drain_pool`, BOT_BOTTLE_DOCKER_POOL=0, every waiting one), and the
/// pool entries it keeps. Another user's pool, or a label bottle-run did not
/// write, is never touched.
struct found_leftovers {
    std::vector<leftover> stale{};
    std::set<std::string> kept_pool_ids{};
};
[[nodiscard]] result<found_leftovers> find_leftovers(const engine& e, const std::string& state_dir, bool drain_pool = false);

/// Removes them, and the pool's files no resource explains any more
/// (collect_pool_files); says what on `out`. Returns how many bottles and
/// pool entries were collected, or the error when the daemon could not be asked.
[[nodiscard]] result<int> collect_leftovers(const engine& e, const std::string& state_dir, std::ostream& out, bool drain_pool = false);

/// gc for `bottle-run gc`: the daemon of $DOCKER_HOST when one answers
/// (none reachable: nothing to do, no error), and `state_dir`'s pool.
int gc_command(const std::string& state_dir, std::ostream& out, std::ostream& err);

}  // namespace bottle::run::docker
