#include "bottle/net/subnet_hash.hpp"

#include <benchmark/benchmark.h>

#include <string>

namespace {

using bottle::net::octet_set;
using bottle::net::subnet_hash;

void BM_Fnv1a32(benchmark::State& state) {
    const std::string slug = "claude-dev-workspace";
    const bottle::net::fnv1a_32 h;
    for (auto _ : state) benchmark::DoNotOptimize(h(slug));
}
BENCHMARK(BM_Fnv1a32);

void BM_AssignFree(benchmark::State& state) {
    const subnet_hash sh;
    const std::string slug = "claude-dev-workspace";
    for (auto _ : state) benchmark::DoNotOptimize(sh.assign(slug));
}
BENCHMARK(BM_AssignFree);

// Worst case: every octet but one taken, so probing walks the whole range.
void BM_AssignLongProbe(benchmark::State& state) {
    const subnet_hash sh;
    const std::string slug = "claude-dev-workspace";
    const unsigned start = sh.start_octet(slug);
    const unsigned last_free = start == 1 ? 254 : start - 1;
    octet_set taken;
    for (unsigned o = 1; o <= 254; ++o)
        if (o != last_free) taken.insert(static_cast<std::uint8_t>(o));
    for (auto _ : state) benchmark::DoNotOptimize(sh.assign(slug, taken));
}
BENCHMARK(BM_AssignLongProbe);

}  // namespace
