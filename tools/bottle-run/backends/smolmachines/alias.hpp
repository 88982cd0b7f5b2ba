// tools/bottle-run/backends/smolmachines/alias.hpp — loopback aliases that
// see the real host.
//
// An alias of the pool (127.0.0.16 .. 127.0.0.31) is free only when
//   - no socket of this network namespace is bound to it (/proc/net/tcp,
//     tcp6 (v4-mapped), udp, udp6: any state, any port),
//   - no container of the local Docker daemon publishes a port on it
//     (`docker ps`; no docker CLI or no daemon: nothing is published),
//   - no smolvm machine's stored allowlist names its /32 (the state DB),
//   - and no record of ours holds it (<state dir>/aliases/<alias>).
// Allocation runs under one lock file, <state dir>/aliases.lock, that every
// tool of this project allocating aliases takes (net::loopback_pool with
// net::flock_lock), and is recorded before the lock is released. Anything
// that cannot be read is an error, never "free" (fail closed).
#pragma once

#include "bottle/net/loopback_pool.hpp"
#include "bottle/result.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::run::smolmachines {

/// <state dir>/aliases and <state dir>/aliases.lock (docs/net.md).
[[nodiscard]] std::string alias_records_dir(const std::string& state_dir);
[[nodiscard]] std::string alias_lock_path(const std::string& state_dir);

/// Local addresses (IPv4, or IPv4-mapped IPv6) of every socket listed in a
/// /proc/net/{tcp,tcp6,udp,udp6} text. Errors: parse_error naming the line.
[[nodiscard]] result<std::vector<net::address_v4>> parse_proc_net(std::string_view text);

/// Host addresses of published ports in `docker ps --format '{{.Ports}}'`
/// output ("127.0.0.16:3128->3128/tcp, :::80->80/tcp"); wildcards skipped.
[[nodiscard]] std::vector<net::address_v4> parse_docker_ports(std::string_view text);

/// Every "A.B.C.D/32" in `text` (a machine record smolvm may read although
/// bot-bottle's stricter decoder refuses it).
[[nodiscard]] std::vector<net::address_v4> addresses_with_32(std::string_view text);

class host_alias_source {
public:
    struct config {
        std::string records_dir;
        std::vector<std::string> proc_files{"/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6"};
        std::vector<std::string> docker{"docker"};  ///< empty: no docker check
        std::optional<std::filesystem::path> smolvm_db{};
        std::chrono::milliseconds docker_timeout{10000};
    };

    [[nodiscard]] static result<host_alias_source> open(config c);

    /// Every alias in use and by whom ("socket", "docker", "smolvm:NAME", or
    /// our record's holder). Errors: whatever could not be read.
    [[nodiscard]] result<std::vector<net::holding>> in_use();
    [[nodiscard]] result<void> record(const net::holding& h) { return records_.record(h); }
    [[nodiscard]] result<void> release(const net::holding& h) { return records_.release(h); }
    /// Our records only (gc).
    [[nodiscard]] result<std::vector<net::holding>> records() const { return records_.in_use(); }

private:
    host_alias_source(config c, net::alias_directory d) : config_(std::move(c)), records_(std::move(d)) {}
    config config_;
    net::alias_directory records_;
};

static_assert(net::recording_source<host_alias_source>);

using host_pool = net::loopback_pool<host_alias_source>;

/// The pool over the real host for `state_dir` (records and lock there).
[[nodiscard]] result<host_pool> open_host_pool(const std::string& state_dir, std::optional<std::filesystem::path> smolvm_db,
                                               std::chrono::milliseconds lock_timeout = std::chrono::seconds(10));

/// Whether bottle `id`'s launcher runs, read now (not from a list gc made
/// earlier, which misses a launch that began since): its state record names
/// a live bottle-run, or is there but unreadable (being written), or, without
/// one, its stage directory's launcher.json does.
[[nodiscard]] bool launcher_still_running(const std::string& state_dir, const std::string& id);

/// gc: releases every record whose holder is neither in `live` (bottle ids
/// whose launcher still runs) nor launcher_still_running (checked under the
/// allocation lock). Returns the aliases released.
[[nodiscard]] result<std::vector<net::holding>> reclaim_aliases(const std::string& state_dir, const std::set<std::string>& live);

}  // namespace bottle::run::smolmachines
