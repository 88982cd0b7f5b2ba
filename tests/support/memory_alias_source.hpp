// tests/support/memory_alias_source.hpp — in-process doubles for
// bottle::net::loopback_pool, shared by its tests, properties and benchmark:
// a map as the in-use source (optionally failing, to test fail-closed paths)
// and a lock that does nothing (single-threaded use only).
#pragma once

#include "bottle/net/loopback_pool.hpp"
#include "bottle/result.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bottle::test_support {

struct memory_alias_source {
    std::map<std::uint32_t, std::string> held;
    bool fail = false;  ///< in_use() reports an unreadable state

    result<std::vector<net::holding>> in_use() const {
        if (fail) return make_error(errc::io_error, "state unreadable");
        std::vector<net::holding> out;
        for (const auto& [a, h] : held) out.push_back({net::address_v4(a), h});
        return out;
    }
    result<void> record(const net::holding& h) {
        held[h.alias.to_uint()] = h.holder;
        return {};
    }
    result<void> release(const net::holding& h) {
        auto it = held.find(h.alias.to_uint());
        if (it == held.end() || it->second != h.holder) return make_error(errc::conflict, "not held");
        held.erase(it);
        return {};
    }
};

struct no_lock {
    result<void> lock() { return {}; }
    void unlock() noexcept {}
};

}  // namespace bottle::test_support
