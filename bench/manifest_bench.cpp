// Manifest resolution costs: extends chains 1..32 deep, bottles with 1..1000
// egress routes (resolve, runtime merge, canonical JSON, parse+check).
#include "bottle/manifest/canonical.hpp"
#include "bottle/manifest/parse.hpp"
#include "bottle/manifest/resolve.hpp"

#include <benchmark/benchmark.h>
#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

namespace {

namespace bm = bottle::manifest;
namespace json = boost::json;

// b1 <- b2 <- ... <- bN; each link adds two routes, replaces one, and touches env.
bm::manifest chain(int n) {
    bm::manifest m;
    for (int i = 1; i <= n; ++i) {
        const std::string s = std::to_string(i);
        json::object b{{"egress", json::array{json::object{{"host", "h" + s + ".example.com"}, {"ports", json::array{443}}},
                                              json::object{{"host", "g" + s + ".example.com"}},
                                              json::object{{"host", "shared.example.com"}, {"ports", json::array{i}}}}},
                       {"env", json::object{{"V" + s, s}, {"SHARED", s}}},
                       {"resources", json::object{{"cpus", i}}}};
        if (i > 1) b["extends"] = "b" + std::to_string(i - 1);
        m.bottles["b" + s] = b;
    }
    return m;
}

// base with n routes; dev extends it with n routes of which half are new.
bm::manifest routes(int n) {
    bm::manifest m;
    json::array base_routes, dev_routes;
    for (int i = 0; i < n; ++i) {
        base_routes.push_back(json::object{{"host", "r" + std::to_string(i) + ".example.com"}, {"ports", json::array{443}}});
        dev_routes.push_back(json::object{{"host", "r" + std::to_string(i + n / 2) + ".example.com"}, {"ports", json::array{8443}}});
    }
    m.bottles["base"] = json::object{{"egress", base_routes}, {"backend", "native"}};
    m.bottles["dev"] = json::object{{"extends", "base"}, {"egress", dev_routes}};
    return m;
}

void BM_ResolveChain(benchmark::State& state) {
    const auto m = chain(static_cast<int>(state.range(0)));
    const std::string last = "b" + std::to_string(state.range(0));
    for (auto _ : state) {
        auto r = bm::resolve_bottle(m, last);
        if (!r) state.SkipWithError(r.error().message.c_str());
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(BM_ResolveChain)->RangeMultiplier(2)->Range(1, 32);

void BM_ResolveRoutes(benchmark::State& state) {
    const auto m = routes(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        auto r = bm::resolve_bottle(m, "dev");
        if (!r) state.SkipWithError(r.error().message.c_str());
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ResolveRoutes)->RangeMultiplier(8)->Range(1, 1000);

void BM_RuntimeMergeRoutes(benchmark::State& state) {
    const auto m = routes(static_cast<int>(state.range(0)));
    const std::vector<std::string> names{"dev", "base"};
    for (auto _ : state) {
        auto r = bm::merge_bottles(m, names);
        if (!r) state.SkipWithError(r.error().message.c_str());
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(BM_RuntimeMergeRoutes)->RangeMultiplier(8)->Range(1, 1000);

void BM_CanonicalRoutes(benchmark::State& state) {
    const auto m = routes(static_cast<int>(state.range(0)));
    const auto r = bm::resolve_bottle(m, "dev").value();
    for (auto _ : state) {
        auto text = bm::canonical_json(r.value);
        benchmark::DoNotOptimize(text);
    }
}
BENCHMARK(BM_CanonicalRoutes)->RangeMultiplier(8)->Range(1, 1000);

void BM_ParseAndCheckRoutes(benchmark::State& state) {
    const auto m = routes(static_cast<int>(state.range(0)));
    const std::string text = json::serialize(json::object{{"bottles", m.bottles}});
    for (auto _ : state) {
        auto p = bm::parse_manifest(text, "bench.json");
        if (!p || !bm::check_manifest(*p)) state.SkipWithError("parse failed");
        benchmark::DoNotOptimize(p);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_ParseAndCheckRoutes)->RangeMultiplier(8)->Range(1, 1000);

}  // namespace
