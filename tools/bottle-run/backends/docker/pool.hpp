// tools/bottle-run/backends/docker/pool.hpp — sidecars started ahead of
// time, so that a routed launch under runc does not wait for a container
// with a network.
//
// Creating a network and starting a container on it is most of a routed
// launch (~100 ms and ~450 ms here, where a whole `docker run` without a
// network takes ~200 ms: docs/docker-backend.md, Speed). The pool keeps, per
// state directory and daemon, up to BOT_BOTTLE_DOCKER_POOL (default 1; 0:
// none) sidecars already running, each on an outbound network of its own and
// waiting on its stdin for its arguments (`bottle-egress --args-stdin`) —
// in the network topology (gVisor) also on an internal network of its own,
// where the claiming launcher's agent goes:
// until a launcher claims it, it listens on nothing and allows nothing. An
// entry is, in <state>/docker-pool/:
//   <id>.json   what it is (daemon, kind, the sidecar's spec, container, networks): waiting
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
#include "bottle-run/backends/docker/plan.hpp"

#include "bottle/result.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

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
    std::string internal_network{}, subnet{};  ///< the network topology's (empty in the socket topology)
};

/// What kind of sidecar a pool holds: the runtime, the topology, and the
/// internal network's pinned subnet (BOT_BOTTLE_DOCKER_SUBNET) if any.
struct pool_kind {
    std::string image{};
    runtime_choice runtime{};
    bool network_topology = false;
    std::optional<std::string> fixed_subnet{};
};

/// What a pool sidecar of this image is: a hash of its create body with
/// placeholders where entries differ. An entry made by another bottle-run
/// (other limits, mounts, seccomp) or for another proxy has another spec
/// and is never claimed.
[[nodiscard]] std::string pool_sidecar_spec(const pool_kind& kind);

/// Which of a daemon's pools an entry is in ("socket/runc/hashed",
/// "network/runsc/10.200.1.0/24"...): a fill retires only entries of its own
/// kind whose spec is not its own.
[[nodiscard]] std::string kind_key(const pool_kind& kind);

/// Claims a waiting entry made for this daemon (`endpoint`: DOCKER_HOST's
/// spec) and sidecar spec, oldest first; files only (the caller asks the
/// daemon, pooled_sidecar_runs). `launcher` is "<boot id>/<pid>". None: the
/// pool is empty, or holds nothing for this daemon and spec.
[[nodiscard]] std::optional<pool_entry> claim_pooled(const std::string& state_dir, const std::string& endpoint, const std::string& spec,
                                                     const std::string& launcher);

/// Does the daemon run the entry's container, labelled as the entry's?
[[nodiscard]] bool pooled_sidecar_runs(const engine& e, const pool_entry& entry);

/// The files of a claimed or broken entry (its .json or .claimed.*, .sock/, .log).
[[nodiscard]] std::vector<std::string> pool_entry_files(const pool_entry& entry);

/// Removes an entry: container (forced), network, files. Never fails.
void remove_pooled(const engine& e, const pool_entry& entry);

struct pool_fill {
    std::string state_dir{}, endpoint{};
    pool_kind kind{};
    unsigned size = 1;
};

/// Tops the pool up to `size` waiting entries for this daemon and image,
/// one filler at a time (a lock file in the pool's directory): retires this
/// daemon's waiting entries of another spec and those above the size; a
/// failed step removes what it made. Returns how many it made.
int fill_pool(const engine& e, const pool_fill& what);

/// gc: the entry prefix a `bot-bottle.pool` label names when it is an
/// entry of `state_dir`'s pool (<pool_dir>/bp-<12 hex>); none otherwise
/// (another user's pool, or a label bottle-run did not write: gc never
/// removes files a daemon's label names elsewhere).
[[nodiscard]] std::optional<std::string> own_pool_prefix(const std::string& state_dir, const std::string& label);

/// An entry of our pool, for gc: waiting (its .json is there), claimed by a
/// launcher that runs, or stale (anything else: remove it).
enum class pool_verdict { waiting, claimed_live, stale };
[[nodiscard]] pool_verdict pooled_state(const std::string& prefix, const std::string& boot_id, bool (*alive)(int pid));

/// gc: removes the files of `state_dir`'s pool that no resource explains
/// any more: a waiting record of this daemon (`endpoint`) whose id is not
/// among `kept_ids` (its container and network are gone), a claim whose
/// launcher is gone, a record left half-written (.new) a minute ago.
void collect_pool_files(const std::string& state_dir, const std::string& endpoint, const std::set<std::string>& kept_ids,
                        const std::string& boot_id, bool (*alive)(int pid));

/// The host directory a sidecar makes its unix socket in: made for the
/// sidecar's user (root launches: owned by it, 0755; others: 0777, inside
/// the user's 0700 state directory). The agent binds it read-only.
[[nodiscard]] result<void> make_socket_dir(const std::string& path);

/// `path` made empty for the sidecar's user to append its decision log to
/// (root launches: owned by it; else writable by others, readable by the
/// user, in the user's 0700 state directory).
[[nodiscard]] result<void> make_egress_log(const std::string& path);

}  // namespace bottle::run::docker
