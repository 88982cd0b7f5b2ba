// bottle-audit smolvm on a database of 100,000 machine records (the
// reference's illustrative record, ~1 KiB each): open read-only, list, decode
// and judge every row, sort the findings. The mix is realistic for a busy
// host: most machines pinned to a pool alias (so aliases are shared many
// times over: the sharing sweep works hard), some unrestricted, some wide,
// some with network off, a few malformed. The database is built once, in a
// temp file, and removed at exit. Also: judging alone (rows already read).
#include "bottle-audit/smolvm_audit.hpp"

#include "support/smolvm_fixture.hpp"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace audit_bench {

constexpr int kRows = 100000;

std::string cidrs_for(int i) {
    switch (i % 10) {
        case 0: return "null";                                           // unrestricted
        case 1: return R"(["10.0.0.0/8"])";                              // wide, outside the pool
        default: return "[\"127.0.0." + std::to_string(16 + i % 16) + "/32\"]";  // pinned (aliases shared)
    }
}

struct fixture_db {
    bottle::test_support::temp_dir dir;
    std::filesystem::path path = dir.path() / "smolvm.db";
    fixture_db() {
        bottle::test_support::create_smolvm_db(path);
        bottle::test_support::raw_connection c(path);
        c.must("BEGIN");
        for (int i = 0; i < kRows; ++i) {
            const std::string name = "vm" + std::to_string(i);
            if (i % 1000 == 999) c.put(name, "{not json");
            else c.put(name, bottle::test_support::illustrative_record(name, cidrs_for(i)));
        }
        c.must("COMMIT");
        c.must("PRAGMA wal_checkpoint(TRUNCATE)");
    }
};

fixture_db& db() {
    static fixture_db instance;  // removed at exit
    return instance;
}

const bottle::net::cidr& pool() {
    static const auto p = bottle::audit::parse_pool(bottle::audit::default_pool).value();
    return p;
}

void BM_AuditSmolvmDb100k(benchmark::State& state) {
    const auto& path = db().path;
    for (auto _ : state) {
        auto o = bottle::audit::audit_smolvm_db(path, pool());
        if (!o || o->subjects.size() != static_cast<std::size_t>(kRows)) {
            state.SkipWithError(o ? "not every row audited" : o.error().message.c_str());
            break;
        }
        benchmark::DoNotOptimize(o->findings.data());
    }
    state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_AuditSmolvmDb100k)->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly(true);

/// The pre-streaming path, for comparison: list() every row into memory
/// (~100 MB), then judge. audit_smolvm_db streams instead.
void BM_AuditListThenJudge100k(benchmark::State& state) {
    const auto& path = db().path;
    for (auto _ : state) {
        auto handle = bottle::smolvm::state_db::open_read_only(path, {.max_rows = 1000000});
        auto rows = handle->list();
        if (!rows) { state.SkipWithError(rows.error().message.c_str()); break; }
        auto o = bottle::audit::audit_machines(*rows, pool(), path.string());
        benchmark::DoNotOptimize(o.findings.data());
    }
    state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_AuditListThenJudge100k)->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly(true);

void BM_JudgeRows100k(benchmark::State& state) {
    auto handle = bottle::smolvm::state_db::open_read_only(db().path, {.max_rows = 1000000});
    auto rows = handle->list();
    if (!rows) { state.SkipWithError(rows.error().message.c_str()); return; }
    for (auto _ : state) {
        auto o = bottle::audit::audit_machines(*rows, pool());
        benchmark::DoNotOptimize(o.findings.data());
    }
    state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_JudgeRows100k)->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly(true);

/// The library's share: decoding every record, nothing judged (for comparison).
void BM_DecodeOnly100k(benchmark::State& state) {
    auto handle = bottle::smolvm::state_db::open_read_only(db().path, {.max_rows = 1000000});
    auto rows = handle->list();
    if (!rows) { state.SkipWithError(rows.error().message.c_str()); return; }
    for (auto _ : state) {
        std::size_t ok = 0;
        for (const auto& r : *rows) ok += r.decode().has_value() ? 1 : 0;
        benchmark::DoNotOptimize(ok);
    }
    state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_DecodeOnly100k)->Unit(benchmark::kMillisecond)->Repetitions(3)->ReportAggregatesOnly(true);

}  // namespace audit_bench
