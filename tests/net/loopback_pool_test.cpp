#include "bottle/net/loopback_pool.hpp"
#include "support/memory_alias_source.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using memory_source = bottle::test_support::memory_alias_source;

using bottle::errc;
using bottle::failed_with;
using bottle::result;
using bottle::net::address_v4;
using bottle::net::alias_directory;
using bottle::net::flock_lock;
using bottle::net::holding;
using bottle::net::loopback_pool;

address_v4 v4(const char* text) { return bottle::net::parse_address(text).value().to_v4(); }

// A mutex lock that counts acquisitions (the in-use source is the shared
// memory_alias_source from tests/support).
struct counting_lock {
    std::mutex* m;
    int* locks;
    bool held = false;
    result<void> lock() {
        m->lock();
        held = true;
        ++*locks;
        return {};
    }
    void unlock() noexcept {
        if (held) m->unlock();
        held = false;
    }
};

class LoopbackPool : public ::testing::Test {
protected:
    std::mutex mutex_;
    int locks_ = 0;
    auto make_pool(memory_source src = {}, address_v4 first = v4("127.0.0.16"), unsigned size = 16) {
        return loopback_pool<memory_source, counting_lock>::make(std::move(src), counting_lock{&mutex_, &locks_},
                                                                 first, size);
    }
};

TEST_F(LoopbackPool, HandsOutLowestFreeAndIsIdempotent) {
    memory_source src;
    src.held[v4("127.0.0.16").to_uint()] = "old";
    src.held[v4("127.0.0.18").to_uint()] = "other";
    src.held[v4("127.0.0.1").to_uint()] = "host-service";  // outside the pool: ignored
    auto pool = make_pool(src).value();
    EXPECT_EQ(pool.allocate("a").value().to_string(), "127.0.0.17");
    EXPECT_EQ(pool.allocate("b").value().to_string(), "127.0.0.19");
    EXPECT_EQ(pool.allocate("a").value().to_string(), "127.0.0.17") << "a holder keeps its alias";
    EXPECT_EQ(pool.source().held.at(v4("127.0.0.19").to_uint()), "b");
    EXPECT_EQ(locks_, 3);
    ASSERT_TRUE(pool.release(v4("127.0.0.16"), "old").has_value());
    EXPECT_EQ(pool.allocate("c").value().to_string(), "127.0.0.16");
    EXPECT_TRUE(failed_with(pool.release(v4("127.0.0.16"), "a"), errc::conflict));
    EXPECT_TRUE(failed_with(pool.release(v4("127.0.0.40"), "a"), errc::invalid_argument));
    const auto all = pool.holdings().value();
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all.front().alias.to_string(), "127.0.0.16");
    EXPECT_EQ(all.back().alias.to_string(), "127.0.0.19");
}

TEST_F(LoopbackPool, ExhaustionListsEveryHolder) {
    auto pool = make_pool({}, v4("127.0.0.16"), 3).value();
    ASSERT_TRUE(pool.allocate("dev").has_value());
    ASSERT_TRUE(pool.allocate("gpu").has_value());
    ASSERT_TRUE(pool.allocate("web").has_value());
    const auto r = pool.allocate("late");
    ASSERT_TRUE(failed_with(r, errc::exhausted));
    const std::string& m = r.error().message;
    EXPECT_NE(m.find("127.0.0.16-127.0.0.18 (3 aliases)"), std::string::npos) << m;
    EXPECT_NE(m.find("127.0.0.16 dev, 127.0.0.17 gpu, 127.0.0.18 web"), std::string::npos) << m;
    EXPECT_NE(m.find("late"), std::string::npos) << m;
}

TEST_F(LoopbackPool, FailsClosedWhenSourceOrCommitFails) {
    memory_source broken;
    broken.fail = true;
    auto pool = make_pool(broken).value();
    const auto r = pool.allocate("a");
    ASSERT_TRUE(failed_with(r, errc::io_error));
    EXPECT_NE(r.error().message.find("none is allocated"), std::string::npos);

    auto pool2 = make_pool().value();
    const auto c = pool2.allocate("a", [](const holding&) -> result<void> {
        return bottle::make_error(errc::io_error, "disk full");
    });
    ASSERT_TRUE(failed_with(c, errc::io_error));
    EXPECT_NE(c.error().message.find("could not record 127.0.0.16 for a: disk full"), std::string::npos);
    EXPECT_TRUE(pool2.source().held.empty());
    EXPECT_EQ(locks_, 2) << "the lock was taken (and released) for both";
    EXPECT_TRUE(mutex_.try_lock());
    mutex_.unlock();
}

TEST_F(LoopbackPool, ValidatesRangeAndHolder) {
    EXPECT_TRUE(failed_with(make_pool({}, v4("127.0.0.1"), 4), errc::invalid_argument));
    EXPECT_TRUE(failed_with(make_pool({}, v4("127.0.0.0"), 4), errc::invalid_argument));
    EXPECT_TRUE(failed_with(make_pool({}, v4("10.0.0.16"), 4), errc::invalid_argument));
    EXPECT_TRUE(failed_with(make_pool({}, v4("127.255.255.250"), 6), errc::invalid_argument));
    EXPECT_TRUE(make_pool({}, v4("127.255.255.250"), 5).has_value());
    EXPECT_TRUE(failed_with(make_pool({}, v4("127.0.0.16"), 0), errc::invalid_argument));
    EXPECT_TRUE(failed_with(make_pool({}, v4("127.0.0.16"), 5000), errc::invalid_argument));
    auto pool = make_pool().value();
    for (const char* bad : {"", ".hidden", "a/b", "a b", "x\n", "\xc3\xa9"})
        EXPECT_TRUE(failed_with(pool.allocate(bad), errc::invalid_argument)) << bad;
    EXPECT_TRUE(failed_with(pool.allocate(std::string(65, 'a')), errc::invalid_argument));
    EXPECT_TRUE(pool.allocate(std::string(64, 'a')).has_value());
    EXPECT_EQ(locks_, 1) << "invalid holders are refused before locking";
}

using bottle::test_support::temp_dir;

TEST(AliasDirectory, RecordsReadsAndFailsClosed) {
    temp_dir tmp;
    auto dir = alias_directory::open((tmp.path() / "aliases").string()).value();
    auto pool = loopback_pool<alias_directory>::make(std::move(dir), flock_lock((tmp.path() / "lock").string())).value();
    EXPECT_EQ(pool.allocate("dev").value().to_string(), "127.0.0.16");
    EXPECT_EQ(pool.allocate("gpu").value().to_string(), "127.0.0.17");
    std::ifstream f(tmp.path() / "aliases" / "127.0.0.17");
    std::string content;
    std::getline(f, content);
    EXPECT_EQ(content, "gpu");
    ASSERT_TRUE(pool.release(v4("127.0.0.16"), "dev").has_value());
    EXPECT_FALSE(std::filesystem::exists(tmp.path() / "aliases" / "127.0.0.16"));
    EXPECT_TRUE(failed_with(pool.release(v4("127.0.0.16"), "dev"), errc::not_found));
    EXPECT_TRUE(failed_with(pool.release(v4("127.0.0.17"), "dev"), errc::conflict));
    // Temporary files are ignored; a stray or malformed entry fails closed.
    std::ofstream(tmp.path() / "aliases" / ".127.0.0.18.1.tmp") << "x\n";
    EXPECT_EQ(pool.holdings().value().size(), 1u);
    std::ofstream(tmp.path() / "aliases" / "127.0.0.016") << "x\n";
    EXPECT_TRUE(failed_with(pool.allocate("web"), errc::parse_error));
    std::filesystem::remove(tmp.path() / "aliases" / "127.0.0.016");
    std::ofstream(tmp.path() / "aliases" / "127.0.0.20") << "not a holder!\n";
    EXPECT_TRUE(failed_with(pool.allocate("web"), errc::parse_error));
    std::filesystem::remove(tmp.path() / "aliases" / "127.0.0.20");
    EXPECT_EQ(pool.allocate("web").value().to_string(), "127.0.0.16");
    std::filesystem::remove_all(tmp.path() / "aliases");
    EXPECT_TRUE(failed_with(pool.allocate("late"), errc::io_error)) << "a missing directory is not an empty one";
}

TEST(FlockLock, ContentionTimesOutThenSucceeds) {
    temp_dir tmp;
    const std::string path = (tmp.path() / "lock").string();
    flock_lock first(path);
    ASSERT_TRUE(first.lock().has_value());
    flock_lock second(path, std::chrono::milliseconds(50));
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = second.lock();
    EXPECT_TRUE(failed_with(r, errc::timeout)) << (r ? "acquired a held lock" : r.error().describe());
    EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(50));
    EXPECT_TRUE(failed_with(first.lock(), errc::invalid_argument));
    first.unlock();
    EXPECT_TRUE(second.lock().has_value());
    second.unlock();
    EXPECT_TRUE(failed_with(flock_lock((tmp.path() / "no" / "lock").string()).lock(), errc::io_error));
}

// Threads in one process, each with its own flock_lock (its own open file
// description), allocate concurrently through one directory: all distinct.
TEST(FlockLock, ConcurrentThreadsGetDistinctAliases) {
    temp_dir tmp;
    const std::string dir = (tmp.path() / "aliases").string();
    const std::string lock = (tmp.path() / "lock").string();
    constexpr int kThreads = 8;
    std::vector<std::string> got(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
        threads.emplace_back([&, i] {
            auto pool = loopback_pool<alias_directory>::make(alias_directory::open(dir).value(), flock_lock(lock),
                                                            v4("127.0.0.16"), 6)
                            .value();
            auto r = pool.allocate("t" + std::to_string(i));
            got[static_cast<std::size_t>(i)] = r ? r->to_string() : (failed_with(r, errc::exhausted) ? "full" : "error");
        });
    for (auto& t : threads) t.join();
    std::set<std::string> distinct;
    int full = 0;
    for (const auto& g : got) {
        if (g == "full") ++full;
        else EXPECT_TRUE(distinct.insert(g).second) << "duplicate " << g;
    }
    EXPECT_EQ(distinct.size(), 6u);
    EXPECT_EQ(full, 2);
    EXPECT_EQ(*distinct.begin(), "127.0.0.16");
    EXPECT_EQ(*distinct.rbegin(), "127.0.0.21");
}

}  // namespace
