// `bottle-audit smolvm` streams the database (state_db::for_each, judged in
// batches by worker threads). Its outcome must equal judging every row of
// list() at once (audit_machines): same subjects, same findings, same order.
#include "bottle-audit/smolvm_audit.hpp"

#include "support/smolvm_fixture.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using bottle::test_support::illustrative_record;
using bottle::test_support::raw_connection;

std::string cidrs_for(int i) {
    switch (i % 7) {
        case 0: return "null";
        case 1: return R"(["10.0.0.0/8"])";
        case 2: return R"(["127.0.0.16/28", "bad"])";
        default: return "[\"127.0.0." + std::to_string(16 + i % 16) + "/32\"]";
    }
}

void expect_stream_equals_list(int rows) {
    bottle::test_support::temp_dir dir;
    const auto path = dir.path() / "smolvm.db";
    bottle::test_support::create_smolvm_db(path);
    {
        raw_connection c(path);
        c.must("BEGIN");
        for (int i = 0; i < rows; ++i) {
            const std::string name = "vm" + std::to_string(i);
            if (i % 97 == 5) c.put(name, "{not json");
            else if (i % 89 == 3) c.put(name, illustrative_record(name), /*as_blob=*/false);
            else c.put(name, illustrative_record(name, cidrs_for(i)));
        }
        c.must("COMMIT");
    }
    const auto pool = bottle::audit::parse_pool(bottle::audit::default_pool).value();
    auto streamed = bottle::audit::audit_smolvm_db(path, pool);
    ASSERT_TRUE(streamed.has_value()) << streamed.error().message;
    auto db = bottle::smolvm::state_db::open_read_only(path);
    auto listed = db->list();
    ASSERT_TRUE(listed.has_value());
    const auto whole = bottle::audit::audit_machines(*listed, pool, path.string());
    ASSERT_EQ(streamed->subjects.size(), static_cast<std::size_t>(rows));
    EXPECT_EQ(streamed->subjects, whole.subjects);
    EXPECT_EQ(streamed->kind, whole.kind);
    EXPECT_EQ(streamed->target, whole.target);
    EXPECT_EQ(streamed->pool, whole.pool);
    ASSERT_EQ(streamed->findings.size(), whole.findings.size());
    EXPECT_TRUE(streamed->findings == whole.findings);
    EXPECT_GT(whole.findings.size(), static_cast<std::size_t>(rows) / 2) << "the mix must produce findings";
}

TEST(AuditStream, OneBatchEqualsJudgingTheWholeList) { expect_stream_equals_list(300); }

TEST(AuditStream, ManyBatchesOnWorkersEqualJudgingTheWholeList) {
    // More than several batches of rows_per_worker, with a partial last one.
    expect_stream_equals_list(static_cast<int>(3 * bottle::audit::detail::rows_per_worker + 123));
}

TEST(AuditStream, EmptyDatabaseIsAnEmptyOutcomeNotAnError) {
    bottle::test_support::temp_dir dir;
    const auto path = dir.path() / "smolvm.db";
    bottle::test_support::create_smolvm_db(path);
    auto o = bottle::audit::audit_smolvm_db(path, bottle::audit::parse_pool(bottle::audit::default_pool).value());
    ASSERT_TRUE(o.has_value());
    EXPECT_TRUE(o->subjects.empty());
    EXPECT_TRUE(o->findings.empty());
}

}  // namespace
