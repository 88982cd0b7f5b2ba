// smolvm state database: verify one machine in a 10,000-row database (open
// read-only + primary-key lookup + decode + compare), list and decode every
// row, and decode one record. The database is built once in a temp file.
#include "bottle/policy/allowlist_verifier.hpp"
#include "bottle/smolvm/sqlite_allowlist_store.hpp"
#include "bottle/smolvm/state_db.hpp"
#include "bottle/smolvm/vm_record.hpp"

#include "support/smolvm_fixture.hpp"

#include <benchmark/benchmark.h>

#include <memory>
#include <string>

namespace state_db_bench {

constexpr int kRows = 10000;

struct fixture_db {
    bottle::test_support::temp_dir dir;
    std::filesystem::path path = dir.path() / "smolvm.db";
    fixture_db() {
        bottle::test_support::create_smolvm_db(path);
        bottle::test_support::raw_connection c(path);
        c.must("BEGIN");
        for (int i = 0; i < kRows; ++i) {
            const std::string name = "vm" + std::to_string(i);
            c.put(name, bottle::test_support::illustrative_record(name, "[\"127.0.0." + std::to_string(16 + i % 16) + "/32\"]"));
        }
        c.must("COMMIT");
    }
};

fixture_db& db() {
    static fixture_db instance;  // removed at exit
    return instance;
}

void BM_VerifyOneOf10k(benchmark::State& state) {
    bottle::smolvm::sqlite_allowlist_store store{db().path};
    const std::vector<std::string> want{"127.0.0." + std::to_string(16 + 5005 % 16) + "/32"};
    for (auto _ : state) {
        auto v = bottle::policy::verify(store, "vm5005", want);
        if (!v.ok()) state.SkipWithError(v.message.c_str());
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(BM_VerifyOneOf10k)->Unit(benchmark::kMicrosecond);

void BM_ListAndDecode10k(benchmark::State& state) {
    for (auto _ : state) {
        auto handle = bottle::smolvm::state_db::open_read_only(db().path);
        auto rows = handle->list();
        std::size_t decoded = 0;
        for (const auto& row : *rows) decoded += row.decode().has_value() ? 1 : 0;
        if (decoded != kRows) state.SkipWithError("not every row decoded");
        benchmark::DoNotOptimize(decoded);
    }
    state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_ListAndDecode10k)->Unit(benchmark::kMillisecond);

void BM_DecodeOneRecord(benchmark::State& state) {
    const std::string text = bottle::test_support::illustrative_record();
    for (auto _ : state) {
        auto rec = bottle::smolvm::vm_record::decode(text);
        benchmark::DoNotOptimize(rec);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_DecodeOneRecord)->Unit(benchmark::kMicrosecond);

void BM_EncodeOneRecord(benchmark::State& state) {
    auto rec = bottle::smolvm::vm_record::decode(bottle::test_support::illustrative_record());
    for (auto _ : state) benchmark::DoNotOptimize(rec->encode());
}
BENCHMARK(BM_EncodeOneRecord)->Unit(benchmark::kMicrosecond);

}  // namespace state_db_bench
