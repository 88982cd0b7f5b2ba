#include "bottle/net/loopback_pool.hpp"
#include "support/memory_alias_source.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace {

using memory_source = bottle::test_support::memory_alias_source;
using bottle::test_support::no_lock;

using bottle::errc;
using bottle::failed_with;
using bottle::result;
using bottle::net::address_v4;
using bottle::net::alias_directory;
using bottle::net::flock_lock;
using bottle::net::holding;
using bottle::net::loopback_pool;

using bottle::test_support::temp_dir;



// Model test: random allocate/release sequences against a map model. The
// pool always hands out the lowest free alias, never one that is held.
RC_GTEST_PROP(LoopbackPoolProps, MatchesLowestFreeModel, ()) {
    const auto size = *rc::gen::inRange(1u, 12u);
    auto pool = loopback_pool<memory_source, no_lock>::make({}, {}, address_v4(0x7f000010u), size).value();
    std::map<std::string, unsigned> model;  // holder -> offset
    const auto ops = *rc::gen::container<std::vector<std::pair<bool, int>>>(
        rc::gen::pair(rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 16)));
    for (const auto& [alloc, who] : ops) {
        const std::string holder = "h" + std::to_string(who);
        if (alloc) {
            const auto r = pool.allocate(holder);
            if (model.count(holder)) {
                RC_ASSERT(r.has_value());
                RC_ASSERT(r->to_uint() - 0x7f000010u == model[holder]);
                continue;
            }
            std::set<unsigned> used;
            for (const auto& [h, off] : model) used.insert(off);
            unsigned lowest = 0;
            while (used.count(lowest)) ++lowest;
            if (lowest >= size) {
                RC_ASSERT(failed_with(r, errc::exhausted));
                for (const auto& [h, off] : model) RC_ASSERT(r.error().message.find(h) != std::string::npos);
            } else {
                RC_ASSERT(r.has_value());
                RC_ASSERT(r->to_uint() - 0x7f000010u == lowest);
                model[holder] = lowest;
            }
        } else if (model.count(holder)) {
            RC_ASSERT(pool.release(address_v4(0x7f000010u + model[holder]), holder).has_value());
            model.erase(holder);
        }
    }
    std::set<std::uint32_t> seen;
    for (const auto& h : pool.holdings().value()) RC_ASSERT(seen.insert(h.alias.to_uint()).second);
    RC_ASSERT(seen.size() == model.size());
}

// Real processes: N children released at once each allocate through their
// own flock_lock and the shared alias directory. No alias is handed out
// twice; exactly min(N, size) succeed, the rest report exhaustion.
RC_GTEST_PROP(LoopbackPoolProps, ConcurrentProcessesNeverShareAnAlias, ()) {
    const auto children = *rc::gen::inRange(2, 9);
    const auto size = *rc::gen::inRange(1u, 9u);
    temp_dir tmp;
    const std::string dir = (tmp.path() / "aliases").string();
    const std::string lock = (tmp.path() / "lock").string();
    RC_ASSERT(alias_directory::open(dir).has_value());

    int go[2];
    RC_ASSERT(::pipe(go) == 0);
    std::vector<pid_t> pids;
    for (int i = 0; i < children; ++i) {
        const pid_t pid = ::fork();
        RC_ASSERT(pid >= 0);
        if (pid == 0) {
            ::close(go[1]);
            char c;
            while (::read(go[0], &c, 1) > 0) {
            }  // wait until the parent closes the pipe: all start together
            auto pool = loopback_pool<alias_directory>::make(alias_directory::open(dir).value(), flock_lock(lock),
                                                            address_v4(0x7f000010u), size);
            if (!pool) ::_exit(3);
            const auto r = pool->allocate("child-" + std::to_string(i));
            ::_exit(r ? 0 : failed_with(r, errc::exhausted) ? 1 : 2);
        }
        pids.push_back(pid);
    }
    ::close(go[0]);
    ::close(go[1]);
    int ok = 0, exhausted = 0, other = 0;
    for (pid_t pid : pids) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 99;
        (code == 0 ? ok : code == 1 ? exhausted : other) += 1;
    }
    RC_ASSERT(other == 0);
    RC_ASSERT(ok == std::min(children, static_cast<int>(size)));
    RC_ASSERT(exhausted == children - ok);

    // Ground truth: the directory holds one file per success, each a
    // distinct alias with a distinct child's name, the lowest ones first.
    const auto held = alias_directory::open(dir).value().in_use().value();
    RC_ASSERT(static_cast<int>(held.size()) == ok);
    std::set<std::uint32_t> aliases;
    std::set<std::string> holders;
    for (const auto& h : held) {
        RC_ASSERT(aliases.insert(h.alias.to_uint()).second);
        RC_ASSERT(holders.insert(h.holder).second);
        RC_ASSERT(h.alias.to_uint() - 0x7f000010u < static_cast<std::uint32_t>(ok));
    }
}

}  // namespace
