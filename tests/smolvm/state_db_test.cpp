#include "bottle/smolvm/state_db.hpp"

#include "support/smolvm_fixture.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace {

namespace fs = std::filesystem;
using bottle::errc;
using bottle::failed_with;
using bottle::smolvm::open_options;
using bottle::smolvm::state_db;
using bottle::test_support::file_bytes;
using bottle::test_support::illustrative_record;
using bottle::test_support::raw_connection;

class StateDb : public ::testing::Test {
protected:
    void SetUp() override {
        bottle::test_support::create_smolvm_db(db_path);
        raw_connection c(db_path);
        c.put("agent1", illustrative_record("agent1"));
        c.put("agent2", illustrative_record("agent2", "null"));
        c.put("broken", "{not json");
        c.put("text", illustrative_record("text"), /*as_blob=*/false);
        c.put("liar", illustrative_record("someone-else"));
    }
    bottle::test_support::temp_dir dir;
    fs::path db_path = dir.path() / "smolvm.db";
};

std::string err(const auto& r) { return r.has_error() ? r.error().message : std::string("<no error>"); }

TEST(StateDbOpen, MissingFileIsNotFoundAndIsNotCreated) {
    bottle::test_support::temp_dir dir;
    const fs::path missing = dir.path() / "nope" / "smolvm.db";
    for (bool ro : {true, false}) {
        auto db = ro ? state_db::open_read_only(missing) : state_db::open_read_write(missing);
        ASSERT_TRUE(failed_with(db, errc::not_found)) << err(db);
        EXPECT_NE(db.error().message.find(missing.string()), std::string::npos);
        EXPECT_NE(db.error().message.find("--db"), std::string::npos);
        EXPECT_FALSE(fs::exists(missing));
    }
    const fs::path sibling = dir.path() / "smolvm.db";
    EXPECT_FALSE(state_db::open_read_write(sibling).has_value());
    EXPECT_FALSE(fs::exists(sibling));
}

TEST_F(StateDb, ListsEveryRowAndDecodesEachOnItsOwn) {
    auto db = state_db::open_read_only(db_path);
    ASSERT_TRUE(db.has_value()) << err(db);
    auto rows = db->list();
    ASSERT_TRUE(rows.has_value()) << err(rows);
    ASSERT_EQ(rows->size(), 5u);
    EXPECT_EQ((*rows)[0].name, "agent1");  // ordered by name
    int decoded = 0;
    for (const auto& row : *rows) {
        auto rec = row.decode();
        if (row.name == "agent1" || row.name == "agent2") {
            ASSERT_TRUE(rec.has_value()) << row.name << ": " << err(rec);
            ++decoded;
        } else {
            EXPECT_TRUE(failed_with(rec, errc::parse_error)) << row.name;
            EXPECT_NE(rec.error().message.find(row.name), std::string::npos);
        }
    }
    EXPECT_EQ(decoded, 2);
}

TEST_F(StateDb, GetDecodesOneRowAndReportsWhySmolvmCouldNotReadOthers) {
    auto db = state_db::open_read_only(db_path);
    ASSERT_TRUE(db.has_value());
    auto rec = db->get("agent2");
    ASSERT_TRUE(rec.has_value()) << err(rec);
    EXPECT_TRUE(rec->unrestricted());

    auto missing = db->get("ghost");
    ASSERT_TRUE(failed_with(missing, errc::not_found));
    EXPECT_NE(missing.error().message.find("ghost"), std::string::npos);

    auto text = db->get("text");
    ASSERT_TRUE(failed_with(text, errc::parse_error));
    EXPECT_NE(text.error().message.find("BLOB"), std::string::npos);

    auto liar = db->get("liar");
    ASSERT_TRUE(failed_with(liar, errc::parse_error));
    EXPECT_NE(liar.error().message.find("someone-else"), std::string::npos);
}

TEST_F(StateDb, OversizedRecordIsALimitErrorForThatRowOnly) {
    raw_connection(db_path).put("huge", std::string(2 * 1024 * 1024, ' '));
    auto db = state_db::open_read_only(db_path);
    ASSERT_TRUE(db.has_value());
    auto row = db->get_raw("huge");
    ASSERT_TRUE(row.has_value());
    EXPECT_TRUE(row->data.empty());  // not loaded
    EXPECT_TRUE(failed_with(row->decode(), errc::limit_exceeded));
    EXPECT_TRUE(db->get("agent1").has_value());
}

TEST_F(StateDb, PatchWritesABlobAndTouchesNothingElse) {
    raw_connection c(db_path);
    const std::string agent2_before = c.scalar("SELECT hex(data) FROM vms WHERE name='agent2'");
    {
        auto db = state_db::open_read_write(db_path);
        ASSERT_TRUE(db.has_value()) << err(db);
        auto r = db->patch_allowed_cidrs("agent1", {"127.0.0.16/32"});
        ASSERT_TRUE(r.has_value()) << err(r);
    }
    EXPECT_EQ(c.scalar("SELECT typeof(data) FROM vms WHERE name='agent1'"), "blob");
    EXPECT_EQ(c.scalar("SELECT hex(data) FROM vms WHERE name='agent2'"), agent2_before);
    EXPECT_EQ(c.scalar("SELECT count(*) FROM vms"), "5");

    auto now = bottle::smolvm::vm_record::decode(c.scalar("SELECT data FROM vms WHERE name='agent1'"));
    auto was = bottle::smolvm::vm_record::decode(illustrative_record("agent1"));
    ASSERT_TRUE(now && was);
    EXPECT_EQ(*now->allowed_cidrs(), std::vector<std::string>{"127.0.0.16/32"});
    auto a = now->json();
    auto b = was->json();
    a.erase("allowed_cidrs");
    b.erase("allowed_cidrs");
    EXPECT_EQ(a, b);
}

TEST_F(StateDb, PatchRefusesRowsItCannotReadOrFind) {
    auto db = state_db::open_read_write(db_path);
    ASSERT_TRUE(db.has_value());
    raw_connection c(db_path);
    const std::string broken = c.scalar("SELECT hex(data) FROM vms WHERE name='broken'");
    EXPECT_TRUE(failed_with(db->patch_allowed_cidrs("broken", {}), errc::parse_error));
    EXPECT_TRUE(failed_with(db->patch_allowed_cidrs("text", {}), errc::parse_error));
    EXPECT_TRUE(failed_with(db->patch_allowed_cidrs("ghost", {}), errc::not_found));
    EXPECT_EQ(c.scalar("SELECT hex(data) FROM vms WHERE name='broken'"), broken);
    EXPECT_EQ(c.scalar("SELECT typeof(data) FROM vms WHERE name='text'"), "text");
    // The transaction was rolled back: a later patch can start a new one.
    EXPECT_TRUE(db->patch_allowed_cidrs("agent1", {}).has_value());
}

TEST_F(StateDb, ReadOnlyHandleRefusesToPatch) {
    auto db = state_db::open_read_only(db_path);
    ASSERT_TRUE(db.has_value());
    EXPECT_TRUE(db->read_only());
    EXPECT_TRUE(failed_with(db->patch_allowed_cidrs("agent1", {}), errc::invalid_argument));
}

TEST_F(StateDb, ReadOnlyOpenDoesNotChangeTheFile) {
    { raw_connection(db_path).must("PRAGMA wal_checkpoint(TRUNCATE)"); }
    const std::string before = file_bytes(db_path);
    const auto mtime = fs::last_write_time(db_path);
    {
        auto db = state_db::open_read_only(db_path);
        ASSERT_TRUE(db.has_value());
        ASSERT_TRUE(db->list().has_value());
        ASSERT_TRUE(db->get("agent1").has_value());
    }
    EXPECT_EQ(file_bytes(db_path), before);
    EXPECT_EQ(fs::last_write_time(db_path), mtime);
}

TEST_F(StateDb, ReadOnlyReaderWorksWhileAWalWriterHoldsALock) {
    raw_connection writer(db_path);
    ASSERT_EQ(writer.scalar("PRAGMA journal_mode"), "wal");
    writer.must("BEGIN IMMEDIATE");
    writer.put("agent3", illustrative_record("agent3"));

    open_options quick;
    quick.busy_timeout = std::chrono::milliseconds(100);
    auto db = state_db::open_read_only(db_path, quick);
    ASSERT_TRUE(db.has_value()) << err(db);
    auto rows = db->list();
    ASSERT_TRUE(rows.has_value()) << err(rows);
    EXPECT_EQ(rows->size(), 5u);  // the uncommitted row is not visible
    EXPECT_TRUE(failed_with(db->get("agent3"), errc::not_found));

    // A second writer cannot get in while the first holds the lock.
    auto rw = state_db::open_read_write(db_path, quick);
    ASSERT_TRUE(rw.has_value());
    auto blocked = rw->patch_allowed_cidrs("agent1", {});
    ASSERT_TRUE(failed_with(blocked, errc::database_error));
    EXPECT_NE(blocked.error().message.find("lock"), std::string::npos) << blocked.error().message;

    writer.must("COMMIT");
    EXPECT_TRUE(db->get("agent3").has_value());
    EXPECT_EQ(db->list()->size(), 6u);
}

TEST(StateDbLock, ExclusiveLockInRollbackModeIsADatabaseErrorAfterTheTimeout) {
    bottle::test_support::temp_dir dir;
    const fs::path path = dir.path() / "smolvm.db";
    bottle::test_support::create_smolvm_db(path, /*wal=*/false);
    raw_connection locker(path);
    locker.put("agent1", illustrative_record());
    locker.must("BEGIN EXCLUSIVE");
    locker.put("agent1", illustrative_record("agent1", "null"));

    open_options quick;
    quick.busy_timeout = std::chrono::milliseconds(150);
    auto db = state_db::open_read_only(path, quick);
    ASSERT_TRUE(db.has_value());
    const auto start = std::chrono::steady_clock::now();
    auto rec = db->get("agent1");
    const auto waited = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(failed_with(rec, errc::database_error)) << err(rec);
    EXPECT_NE(rec.error().message.find(path.string()), std::string::npos);
    EXPECT_NE(rec.error().message.find("locked"), std::string::npos) << rec.error().message;
    EXPECT_GE(waited, std::chrono::milliseconds(100));  // the busy timeout was honoured
    locker.must("ROLLBACK");
    EXPECT_TRUE(db->get("agent1").has_value());
}

TEST(StateDbFiles, PathsWithUriSyntaxCharactersOpenTheRightFile) {
    bottle::test_support::temp_dir dir;
    const fs::path path = dir.path() / "we?ird #dir%20" / "smolvm.db";
    fs::create_directories(path.parent_path());
    bottle::test_support::create_smolvm_db(path);
    raw_connection(path).put("agent1", illustrative_record());
    auto db = state_db::open_read_only(path);
    ASSERT_TRUE(db.has_value()) << err(db);
    EXPECT_TRUE(db->get("agent1").has_value());
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator{}), 1);  // nothing created elsewhere
}

TEST(StateDbFiles, NotASmolvmDatabaseIsADatabaseError) {
    bottle::test_support::temp_dir dir;
    const fs::path garbage = dir.path() / "garbage.db";
    { std::ofstream(garbage) << "this is not an SQLite file, just some text that is long enough to have a header....\n"; }
    auto db = state_db::open_read_only(garbage);
    if (db.has_value()) EXPECT_TRUE(failed_with(db->list(), errc::database_error));
    else EXPECT_TRUE(failed_with(db, errc::database_error));

    const fs::path empty_schema = dir.path() / "other.db";
    { raw_connection c(empty_schema, true); c.must("CREATE TABLE t(x)"); }
    auto other = state_db::open_read_only(empty_schema);
    ASSERT_TRUE(other.has_value());
    auto rows = other->list();
    ASSERT_TRUE(failed_with(rows, errc::database_error));
    EXPECT_NE(rows.error().message.find("vms"), std::string::npos);
}

}  // namespace
