// tools/bottle-audit/smolvm_audit.hpp — judge every machine of a smolvm state
// database (`bottle-audit smolvm`).
//
// Read-only by construction: the database is opened with
// `state_db::open_read_only` (URI mode=ro, SQLITE_OPEN_READONLY) and only
// `list()` is called — one SELECT in one snapshot. Nothing here can write.
//
// `audit_machines` judges rows already read and never fails: a row that
// cannot be decoded is a `smolvm.malformed_record` finding and the audit goes
// on with the other rows. `audit_smolvm_db` fails only when the database as a
// whole cannot be read (missing, not a database, no `vms` table, locked past
// the busy timeout, more rows than `max_audit_rows`) — never an empty success.
// Finding ids, severities and remedies: audit_outcome.hpp, docs/bottle-audit.md.
#pragma once

#include "audit_outcome.hpp"

#include "bottle/net/cidr.hpp"
#include "bottle/net/loopback_pool.hpp"
#include "bottle/result.hpp"
#include "bottle/smolvm/state_db.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <exception>
#include <filesystem>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace bottle::audit {

/// The default loopback pool, the same as net::loopback_pool's default.
inline constexpr std::string_view default_pool = "127.0.0.16/28";

/// Most rows one audit reads (state_db refuses more, naming the limit).
inline constexpr std::size_t max_audit_rows = 1000000;

/// Parses `--pool`: a strict IPv4 CIDR inside 127.0.0.2 .. 127.255.255.254 of
/// at most net::max_pool_size addresses (loopback_pool's own bounds).
/// Errors: invalid_argument / parse_error naming the value and the rule.
[[nodiscard]] result<net::cidr> parse_pool(std::string_view text);

namespace detail {

using uint128 = net::uint128;

uint128 address_value(const net::address& a) noexcept;

/// One allowlist entry of one machine, as an address interval.
struct held_range {
    bool v6 = false;
    uint128 lo = 0, hi = 0;
    std::size_t owner = 0;  ///< index of the machine (into audit_outcome::subjects)
    std::string text{};     ///< the entry as stored
};

inline constexpr std::size_t no_partner = static_cast<std::size_t>(-1);

/// For every range, the owner of some range of *another* machine that shares
/// at least one address with it (no_partner when none). O(n log n): ranges
/// are sorted by start; an earlier-starting overlapping range is found by
/// tracking the two largest ends of distinct owners, a later-starting one by
/// the nearest later ranges of two distinct owners (the smallest starts).
std::vector<std::size_t> shared_partners(std::vector<held_range>& r);

boost::json::value cidrs_json(const smolvm::vm_record& rec);

boost::json::array strings_json(const std::vector<std::string>& v);

/// Judges one decoded machine; appends findings and the ranges it holds.
void judge_machine(const smolvm::vm_record& rec, const std::string& subject, std::size_t owner, const net::cidr& pool,
                          std::vector<report::finding>& out, std::vector<held_range>& held);

}  // namespace detail

namespace detail {

/// What judging one contiguous run of rows produced, in row order.
struct chunk_result {
    std::vector<report::finding> findings{};
    std::vector<held_range> held{};
    std::exception_ptr failure{};  ///< e.g. bad_alloc inside a worker, rethrown by the caller
};

/// Judges `rows` (owners first_owner, first_owner + 1, ...; `subjects[k]`
/// names rows[k]) into `out`, in row order. Never throws: a failure is kept
/// in `out.failure` for the caller to rethrow.
void judge_rows(std::span<const smolvm::raw_row> rows, std::size_t first_owner, std::span<const std::string> subjects,
                       const net::cidr& pool, const std::string& target, const smolvm::decode_limits& limits,
                       chunk_result& out) noexcept;

/// Rows per worker below which one thread judges everything; also the batch
/// size of the streaming audit.
inline constexpr std::size_t rows_per_worker = 4096;

/// Worker threads for large inputs: hardware_concurrency, at most 8.
std::size_t max_workers() noexcept;

/// Merges judged chunks (in row order) into `o`, adds the sharing findings
/// and sorts. Rethrows a worker's failure.
void finish_outcome(audit_outcome& o, std::span<chunk_result> parts);

}  // namespace detail

/// Judges `rows` (every row of `vms`) against `pool`. Never fails (short of
/// memory exhaustion, which throws as usual). Decoding dominates the cost, so
/// large inputs are judged by up to `hardware_concurrency` (at most 8) worker
/// threads on contiguous runs of rows, merged in row order: the outcome is
/// the same as judging serially. `target` is recorded in the outcome.
[[nodiscard]] audit_outcome audit_machines(std::span<const smolvm::raw_row> rows, const net::cidr& pool,
                                                  std::string target = {}, const smolvm::decode_limits& limits = {});

/// Opens `db` read-only and audits every row. Errors (the tool's exit 2):
/// not_found (no such file), database_error (unreadable, not a smolvm
/// database, locked past the busy timeout), limit_exceeded (more than
/// max_audit_rows rows) — each message names the path.
[[nodiscard]] result<audit_outcome> audit_smolvm_db(const std::filesystem::path& db, const net::cidr& pool);

}  // namespace bottle::audit
