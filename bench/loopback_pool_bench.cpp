#include "bottle/net/loopback_pool.hpp"
#include "support/memory_alias_source.hpp"

#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <stdlib.h>

namespace {

using memory_source = bottle::test_support::memory_alias_source;
using bottle::test_support::no_lock;

using bottle::result;
using bottle::net::address_v4;
using bottle::net::alias_directory;
using bottle::net::flock_lock;
using bottle::net::holding;
using bottle::net::loopback_pool;



// Allocate + release with half the 16-alias pool held, in memory: the
// pool's own cost.
void BM_AllocateReleaseMemory(benchmark::State& state) {
    memory_source src;
    for (std::uint32_t i = 0; i < 8; ++i) src.held[0x7f000010u + i] = "b" + std::to_string(i);
    auto pool = loopback_pool<memory_source, no_lock>::make(std::move(src), {}).value();
    for (auto _ : state) {
        auto a = pool.allocate("bench");
        benchmark::DoNotOptimize(a);
        (void)pool.release(a.value(), "bench");
    }
}
BENCHMARK(BM_AllocateReleaseMemory);

// The real thing: flock on a lock file + a directory of alias files.
void BM_AllocateReleaseFlockDirectory(benchmark::State& state) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bottle-pool-bench-XXXXXX").string();
    const std::filesystem::path tmp = ::mkdtemp(tmpl.data());
    auto dir = alias_directory::open((tmp / "aliases").string()).value();
    for (std::uint32_t i = 0; i < 8; ++i) (void)dir.record({address_v4(0x7f000010u + i), "b" + std::to_string(i)});
    auto pool = loopback_pool<alias_directory>::make(std::move(dir), flock_lock((tmp / "lock").string())).value();
    for (auto _ : state) {
        auto a = pool.allocate("bench");
        benchmark::DoNotOptimize(a);
        (void)pool.release(a.value(), "bench");
    }
    std::error_code ec;
    std::filesystem::remove_all(tmp, ec);
}
BENCHMARK(BM_AllocateReleaseFlockDirectory);

}  // namespace
