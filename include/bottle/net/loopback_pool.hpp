// bottle/net/loopback_pool.hpp — per-bottle loopback aliases, never shared.
//
// A pool of loopback addresses (default 127.0.0.16 .. 127.0.0.31). allocate()
// hands a holder the lowest alias that its in-use source does not report.
// The source (template parameter) says which aliases are in use and by whom:
// smolvm allowlists, running bottles' state, docker published ports, or the
// directory of alias files provided here. Allocation runs under a lock
// (template parameter; default an exclusive flock on a lock file), and the
// in-use source is read *under* that lock, so two processes never get the same
// alias — provided each records its allocation before the lock is released,
// which allocate() does through the source's record() (or the caller's commit
// callback). See docs/net.md.
#pragma once

#include "bottle/net/cidr.hpp"
#include "bottle/net/detail/alias_directory.hpp"
#include "bottle/net/detail/flock_lock.hpp"
#include "bottle/result.hpp"

#include <algorithm>
#include <concepts>
#include <type_traits>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bottle::net {

using detail::alias_directory;
using detail::flock_lock;
using detail::holding;
using detail::valid_holder;

/// Largest pool accepted.
inline constexpr unsigned max_pool_size = 4096;

/// Reports the aliases in use (any address; those outside the pool are
/// ignored). An error means "unknown", and allocation fails closed.
template <class S>
concept alias_source = requires(S& s) {
    { s.in_use() } -> std::same_as<result<std::vector<holding>>>;
};

/// A source that can also record and drop allocations (alias_directory).
template <class S>
concept recording_source = alias_source<S> && requires(S& s, const holding& h) {
    { s.record(h) } -> std::same_as<result<void>>;
    { s.release(h) } -> std::same_as<result<void>>;
};

/// Serialises allocations: lock() blocks (or fails, e.g. timeout), unlock()
/// releases and cannot fail.
template <class L>
concept pool_lock = requires(L& l) {
    { l.lock() } -> std::same_as<result<void>>;
    { l.unlock() } noexcept;
};

template <alias_source Source, pool_lock Lock = flock_lock>
class loopback_pool {
public:
    /// A pool of `size` aliases from `first`. The pool must lie within
    /// 127.0.0.2 .. 127.255.255.254 (never 127.0.0.1, the host's own
    /// services) and hold 1..max_pool_size aliases.
    /// Errors: invalid_argument naming the bad bound.
    [[nodiscard]] static result<loopback_pool> make(Source source, Lock lock,
                                                    address_v4 first = address_v4(0x7f000010u), unsigned size = 16) {
        const std::uint32_t f = first.to_uint();
        if (size == 0 || size > max_pool_size)
            return make_error(errc::invalid_argument, "loopback pool size " + std::to_string(size) +
                                                          " is outside 1.." + std::to_string(max_pool_size));
        if ((f >> 24) != 127 || f < 0x7f000002u || std::uint64_t{f} + size - 1 > 0x7ffffffeu)
            return make_error(errc::invalid_argument,
                              "loopback pool " + first.to_string() + " +" + std::to_string(size) +
                                  " must lie within 127.0.0.2 .. 127.255.255.254 (127.0.0.1 is the host's own)");
        return loopback_pool(std::move(source), std::move(lock), f, size);
    }

    [[nodiscard]] address_v4 first() const noexcept { return address_v4(first_); }
    [[nodiscard]] address_v4 last() const noexcept { return address_v4(first_ + size_ - 1); }
    [[nodiscard]] unsigned size() const noexcept { return size_; }
    [[nodiscard]] bool in_pool(const address_v4& a) const noexcept {
        return a.to_uint() >= first_ && a.to_uint() - first_ < size_;
    }
    [[nodiscard]] Source& source() noexcept { return source_; }

    /// The holder's alias: the one it already holds, else the lowest free
    /// one, recorded through the source before the lock is released.
    /// Errors: invalid_argument (holder name), exhausted (every alias held;
    /// the message lists each alias and its holder), and whatever the lock,
    /// the source or record() reports — in which case nothing is allocated.
    [[nodiscard]] result<address_v4> allocate(std::string_view holder)
        requires recording_source<Source>
    {
        return allocate(holder, [this](const holding& h) { return source_.record(h); });
    }

    /// As above, but `commit(const holding&) -> result<void>` records the
    /// choice (called under the lock; its error aborts the allocation). Use it
    /// when the source cannot record, e.g. when the allocation is persisted by
    /// writing the VM's allowlist.
    template <class Commit>
        requires std::is_invocable_r_v<result<void>, Commit&, const holding&>
    [[nodiscard]] result<address_v4> allocate(std::string_view holder, Commit&& commit) {
        if (auto ok = valid_holder(holder); !ok) return ok.error();
        scoped_lock guard(lock_);
        if (auto locked = guard.acquire(); !locked) return locked.error();

        auto used = in_pool_holdings();
        if (!used) return used.error();
        for (const holding& h : *used)
            if (h.holder == holder) return h.alias;  // idempotent

        std::vector<bool> taken(size_, false);
        for (const holding& h : *used) taken[h.alias.to_uint() - first_] = true;
        const auto free = std::find(taken.begin(), taken.end(), false);
        if (free == taken.end()) return exhausted(*used, holder);

        const holding chosen{address_v4(first_ + static_cast<std::uint32_t>(free - taken.begin())), std::string(holder)};
        if (auto recorded = commit(chosen); !recorded) {
            error e = recorded.error();
            e.message = "could not record " + chosen.alias.to_string() + " for " + chosen.holder + ": " + e.message;
            return e;
        }
        return chosen.alias;
    }

    /// Gives `alias` back. Errors: invalid_argument (not in the pool),
    /// whatever the lock or the source's release() reports (e.g. conflict
    /// when another holder has it).
    [[nodiscard]] result<void> release(const address_v4& alias, std::string_view holder)
        requires recording_source<Source>
    {
        if (!in_pool(alias))
            return make_error(errc::invalid_argument, alias.to_string() + " is not in the loopback pool " + range());
        if (auto ok = valid_holder(holder); !ok) return ok.error();
        scoped_lock guard(lock_);
        if (auto locked = guard.acquire(); !locked) return locked.error();
        return source_.release(holding{alias, std::string(holder)});
    }

    /// Aliases of this pool in use, sorted by alias, read under the lock.
    [[nodiscard]] result<std::vector<holding>> holdings() {
        scoped_lock guard(lock_);
        if (auto locked = guard.acquire(); !locked) return locked.error();
        return in_pool_holdings();
    }

    /// "127.0.0.16-127.0.0.31"
    [[nodiscard]] std::string range() const { return first().to_string() + "-" + last().to_string(); }

private:
    // Holds `lock` from a successful acquire() to the end of the scope.
    class scoped_lock {
    public:
        explicit scoped_lock(Lock& lock) : lock_(lock) {}
        scoped_lock(const scoped_lock&) = delete;
        scoped_lock& operator=(const scoped_lock&) = delete;
        ~scoped_lock() {
            if (held_) lock_.unlock();
        }
        [[nodiscard]] result<void> acquire() {
            auto r = lock_.lock();
            held_ = r.has_value();
            return r;
        }

    private:
        Lock& lock_;
        bool held_ = false;
    };

    loopback_pool(Source source, Lock lock, std::uint32_t first, unsigned size)
        : source_(std::move(source)), lock_(std::move(lock)), first_(first), size_(size) {}

    result<std::vector<holding>> in_pool_holdings() {
        auto all = source_.in_use();
        if (!all) {
            error e = all.error();
            e.message = "cannot tell which loopback aliases are in use, so none is allocated: " + e.message;
            return e;
        }
        std::vector<holding> out;
        for (holding& h : *all)
            if (in_pool(h.alias)) out.push_back(std::move(h));
        std::sort(out.begin(), out.end(), [](const holding& a, const holding& b) {
            return a.alias.to_uint() != b.alias.to_uint() ? a.alias.to_uint() < b.alias.to_uint() : a.holder < b.holder;
        });
        return out;
    }

    error exhausted(const std::vector<holding>& used, std::string_view holder) const {
        std::string list;
        for (const holding& h : used) list += (list.empty() ? "" : ", ") + h.alias.to_string() + " " + h.holder;
        return make_error(errc::exhausted, "loopback pool " + range() + " (" + std::to_string(size_) +
                                               " aliases) is full, cannot allocate for " + std::string(holder) +
                                               "; held: " + list +
                                               ". Stop a bottle, run `bottle-run gc` to drop leftovers, or enlarge the pool");
    }

    Source source_;
    Lock lock_;
    std::uint32_t first_;
    unsigned size_;
};

}  // namespace bottle::net
