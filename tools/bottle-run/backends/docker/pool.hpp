// tools/bottle-run/backends/docker/pool.hpp — sidecars started ahead of
// time, so that a routed launch under runc does not wait for a container
// with a network.
//
// Creating a network and starting a container on it is most of a routed
// launch (~100 ms and ~450 ms here, where a whole `docker run` without a
// network takes ~200 ms: docs/docker-backend.md, Speed). The pool keeps, per
// state directory and daemon, up to BOT_BOTTLE_DOCKER_POOL (default 1; 0:
// none) sidecars already running, each on an outbound network of its own and
// waiting on its stdin for its arguments (`bottle-egress --args-stdin`):
// until a launcher claims it, it listens on nothing and allows nothing. An
// entry is, in <state>/docker-pool/:
//   <id>.json   what it is (daemon, sidecar image, container, network): waiting
//   <id>.sock/  the directory the sidecar makes its unix socket in
//   <id>.log    the decision log it will write
// A launcher claims an entry by renaming <id>.json to
// <id>.claimed.<boot id>.<pid> (rename is atomic: one launcher wins), checks
// with the daemon that the container runs, writes the bottle's arguments on
// its stdin and links <id>.log as the bottle's log. From then on the entry
// is that bottle's alone: it is never handed out again, and its reaper
// removes it with the bottle, then fills the pool anew for the next launch.
// Containers and networks carry bot-bottle.pool=<state>/docker-pool/<id>;
// gc keeps a waiting entry and one whose claimer runs, removes the rest,
// and with BOT_BOTTLE_DOCKER_POOL=0 removes waiting ones too.
#pragma once

#include "bottle-run/backends/docker/engine.hpp"

#include "bottle/result.hpp"

#include <map>
#include <optional>
#include <string>

namespace bottle::run::docker {

inline constexpr const char* label_pool = "bot-bottle.pool";  ///< the entry's path prefix

/// BOT_BOTTLE_DOCKER_POOL: how many waiting sidecars to keep, 0..8 (unset: 1).
/// Errors: invalid_argument for anything else, naming the variable.
[[nodiscard]] result<unsigned> pool_size(const std::map<std::string, std::string>& env);

/// `<state>/docker-pool`.
[[nodiscard]] std::string pool_dir(const std::string& state_dir);

struct pool_entry {
    std::string prefix{};  ///< <state>/docker-pool/<id>
    std::string container{}, network{};
};

/// Claims a waiting entry made for this daemon (`endpoint`: its spec) and
/// sidecar image, oldest first; files only (the caller asks the daemon,
/// pooled_sidecar_runs). `launcher` is "<boot id>/<pid>". None: the pool is
/// empty, or holds nothing for this daemon and image.
[[nodiscard]] std::optional<pool_entry> claim_pooled(const std::string& state_dir, const std::string& endpoint, const std::string& image,
                                                     const std::string& launcher);

/// Does the daemon run the entry's container, labelled as the entry's?
[[nodiscard]] bool pooled_sidecar_runs(const engine& e, const pool_entry& entry);

/// The files of a claimed or broken entry (its .json or .claimed.*, .sock/, .log).
[[nodiscard]] std::vector<std::string> pool_entry_files(const pool_entry& entry);

/// Removes an entry: container (forced), network, files. Never fails.
void remove_pooled(const engine& e, const pool_entry& entry);

struct pool_fill {
    std::string state_dir{}, endpoint{}, image{};
    unsigned size = 1;
};

/// Tops the pool up to `size` waiting entries for this daemon and image
/// (a failed step removes what it made). Returns how many it made.
int fill_pool(const engine& e, const pool_fill& what);

/// A pool-labelled resource, for gc: waiting (its .json is there), claimed
/// by a launcher that runs, or stale (anything else: remove it).
enum class pool_verdict { waiting, claimed_live, stale };
[[nodiscard]] pool_verdict pooled_state(const std::string& prefix, const std::string& boot_id, bool (*alive)(int pid));

/// The host directory a sidecar makes its unix socket in: made for the
/// sidecar's user (root launches: owned by it, 0755; others: 0777, inside
/// the user's 0700 state directory). The agent binds it read-only.
[[nodiscard]] result<void> make_socket_dir(const std::string& path);

/// `path` made empty for the sidecar's user to append its decision log to
/// (root launches: owned by it; else writable by others, readable by the
/// user, in the user's 0700 state directory).
[[nodiscard]] result<void> make_egress_log(const std::string& path);

}  // namespace bottle::run::docker
