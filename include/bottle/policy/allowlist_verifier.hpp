// bottle/policy/allowlist_verifier.hpp — the fail-closed gate before a smolvm
// micro-VM boots: is the machine's persisted `allowed_cidrs` exactly the list
// we want, and if not, can we make it so and prove that it took?
//
// Guarantees:
// - `allowlist_verdict{}` is a failure (`not_verified`); only a positive read
//   of a well-formed record whose list equals `want` is a `match`.
// - `allowed_cidrs` null or absent means *unrestricted* and never matches.
//   `want` is a list (never null); `[]` is a legitimate want: deny-all.
// - Lists compare as sets of exact strings: sorted and de-duplicated, no
//   trimming, no case folding, no CIDR normalisation ("10.0.0.1/32" and
//   "10.0.0.1" differ). Callers should pass canonical CIDR text.
// - `enforce` patches only on `mismatch`, writes the canonical want, re-reads
//   through the store, and succeeds only if the re-read matches: a patch that
//   reports success but did not take is a failure.
// - Nothing else of the record is judged here (`network`, `dns_filter_hosts`
//   are reported in the verdict for callers and audits to weigh).
//
// The store is a template parameter (`allowlist_store`):
// `smolvm::sqlite_allowlist_store` (smolvm/sqlite_allowlist_store.hpp) for
// smolvm's real database, an in-memory store with fault injection in the
// tests. This header needs no SQLite. Store contract for `find_record(machine)`:
//   value nullopt -> the row is missing;  error not_found -> the database is missing;
//   error parse_error / limit_exceeded -> malformed;  any other error -> unreadable.
#pragma once

#include "bottle/result.hpp"
#include "bottle/smolvm/vm_record.hpp"

#include <algorithm>
#include <concepts>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bottle::policy {

template <class S>
concept allowlist_store = requires(S& store, std::string_view machine, const std::vector<std::string>& cidrs) {
    { store.find_record(machine) } -> std::same_as<result<std::optional<smolvm::vm_record>>>;
    { store.patch_allowed_cidrs(machine, cidrs) } -> std::same_as<result<void>>;
};

enum class verdict_kind {
    not_verified,      ///< default: nothing was confirmed
    match,             ///< the persisted list equals want
    mismatch,          ///< readable, but unrestricted or a different list
    missing_database,  ///< the state database does not exist
    missing_row,       ///< no machine of that name
    unreadable,        ///< locked, I/O error, not a database
    malformed,         ///< the record cannot be decoded or has wrong types
};

[[nodiscard]] constexpr std::string_view to_string(verdict_kind k) noexcept {
    switch (k) {
        case verdict_kind::not_verified: return "not verified";
        case verdict_kind::match: return "match";
        case verdict_kind::mismatch: return "mismatch";
        case verdict_kind::missing_database: return "missing database";
        case verdict_kind::missing_row: return "missing machine";
        case verdict_kind::unreadable: return "unreadable";
        case verdict_kind::malformed: return "malformed";
    }
    return "unknown";
}

/// Sorted, de-duplicated copy of `cidrs`: the form lists are compared and written in.
[[nodiscard]] inline std::vector<std::string> canonical_cidr_set(std::vector<std::string> cidrs) {
    std::sort(cidrs.begin(), cidrs.end());
    cidrs.erase(std::unique(cidrs.begin(), cidrs.end()), cidrs.end());
    return cidrs;
}

struct allowlist_verdict {
    verdict_kind kind = verdict_kind::not_verified;
    std::string machine;
    std::vector<std::string> wanted;  ///< canonical
    /// How `allowed_cidrs` was stored; meaningful for match / mismatch only.
    smolvm::cidr_field persisted_field = smolvm::cidr_field::absent;
    std::vector<std::string> persisted;  ///< canonical; empty unless persisted_field == list
    bool network = false;                ///< the record's `network` flag (match / mismatch)
    std::vector<std::string> dns_filter_hosts;
    std::string message;  ///< says what was found, for people

    [[nodiscard]] bool ok() const noexcept { return kind == verdict_kind::match; }
    /// A readable record that lets the machine reach anything.
    [[nodiscard]] bool unrestricted() const noexcept {
        return kind == verdict_kind::mismatch && persisted_field != smolvm::cidr_field::list;
    }
};

struct enforcement {
    allowlist_verdict before;          ///< the first verify
    bool patched = false;              ///< a write was attempted and reported success
    std::optional<error> patch_error;  ///< the write failed
    allowlist_verdict after;           ///< the re-read; not_verified when there was none
    std::string message;

    /// True only when the persisted list was confirmed equal to want.
    [[nodiscard]] bool ok() const noexcept { return after.ok(); }
};

namespace detail {

[[nodiscard]] inline std::string join(const std::vector<std::string>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + "\"";
    return out + "]";
}

[[nodiscard]] inline verdict_kind classify_store_error(const error& e) {
    if (e.code == make_error_code(errc::not_found)) return verdict_kind::missing_database;
    if (e.code == make_error_code(errc::parse_error) || e.code == make_error_code(errc::limit_exceeded)) return verdict_kind::malformed;
    return verdict_kind::unreadable;
}

}  // namespace detail

template <allowlist_store Store>
class allowlist_verifier {
public:
    explicit allowlist_verifier(Store& store) noexcept : store_(store) {}

    /// Reads machine `machine` and compares its `allowed_cidrs` with `want`.
    /// Never throws; every failure to read is a non-match verdict saying why.
    [[nodiscard]] allowlist_verdict verify(std::string_view machine, const std::vector<std::string>& want) const noexcept {
        allowlist_verdict v;
        try {
            v.machine = std::string(machine);
            v.wanted = canonical_cidr_set(want);
            auto found = store_.find_record(machine);
            if (!found) {
                v.kind = detail::classify_store_error(found.error());
                v.message = found.error().message;
                return v;
            }
            if (!found->has_value()) {
                v.kind = verdict_kind::missing_row;
                v.message = "no smolvm machine named '" + v.machine + "'";
                return v;
            }
            const smolvm::vm_record& rec = **found;
            v.persisted_field = rec.allowed_cidrs_field();
            v.network = rec.network();
            v.dns_filter_hosts = rec.dns_filter_hosts();
            if (rec.unrestricted()) {
                v.kind = verdict_kind::mismatch;
                v.message = "machine '" + v.machine + "' has allowed_cidrs " +
                            (v.persisted_field == smolvm::cidr_field::null ? "null" : "absent") +
                            ": egress is unrestricted, wanted " + detail::join(v.wanted);
                return v;
            }
            v.persisted = canonical_cidr_set(*rec.allowed_cidrs());
            if (v.persisted == v.wanted) {
                v.kind = verdict_kind::match;
                v.message = "machine '" + v.machine + "' allows exactly " + detail::join(v.wanted);
            } else {
                v.kind = verdict_kind::mismatch;
                v.message = "machine '" + v.machine + "' allows " + detail::join(v.persisted) + ", wanted " + detail::join(v.wanted);
            }
        } catch (const std::exception& e) {
            v.kind = verdict_kind::unreadable;
            v.message = std::string("verifying the allowlist failed: ") + e.what();
        }
        return v;
    }

    /// verify; on mismatch only, write the canonical `want`; then re-read.
    /// ok() only when the re-read matches. Missing, unreadable and malformed
    /// records are never written.
    [[nodiscard]] enforcement enforce(std::string_view machine, const std::vector<std::string>& want) noexcept {
        enforcement out;
        out.before = verify(machine, want);
        if (out.before.ok()) {
            out.after = out.before;
            out.message = out.before.message;
            return out;
        }
        if (out.before.kind != verdict_kind::mismatch) {
            out.message = "not enforced: " + out.before.message;
            return out;
        }
        try {
            auto patched = store_.patch_allowed_cidrs(machine, out.before.wanted);
            if (!patched) {
                out.patch_error = patched.error();
                out.message = "writing the allowlist failed: " + patched.error().message;
                return out;
            }
            out.patched = true;
        } catch (const std::exception& e) {
            out.patch_error = make_error(errc::internal, std::string("writing the allowlist threw: ") + e.what());
            out.message = out.patch_error->message;
            return out;
        }
        out.after = verify(machine, want);
        out.message = out.after.ok() ? "patched and confirmed: " + out.after.message
                                     : "the write reported success but the re-read disagrees: " + out.after.message;
        return out;
    }

private:
    Store& store_;
};

template <allowlist_store Store>
[[nodiscard]] allowlist_verdict verify(Store& store, std::string_view machine, const std::vector<std::string>& want) noexcept {
    return allowlist_verifier<Store>(store).verify(machine, want);
}

template <allowlist_store Store>
[[nodiscard]] enforcement enforce(Store& store, std::string_view machine, const std::vector<std::string>& want) noexcept {
    return allowlist_verifier<Store>(store).enforce(machine, want);
}

}  // namespace bottle::policy
