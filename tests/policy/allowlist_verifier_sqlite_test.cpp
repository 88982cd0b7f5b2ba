// The verifier's fail-closed paths on real SQLite files through
// sqlite_allowlist_store: missing file, missing row, locks held by another
// connection, a read-only file, malformed rows, and writes that do not take.
#include "bottle/policy/allowlist_verifier.hpp"
#include "bottle/smolvm/sqlite_allowlist_store.hpp"

#include "support/smolvm_fixture.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace {

namespace fs = std::filesystem;
using bottle::smolvm::sqlite_allowlist_store;
using bottle::policy::verdict_kind;
using bottle::test_support::illustrative_record;
using bottle::test_support::raw_connection;

const std::vector<std::string> kWantedCidrs{"127.0.0.16/32"};

bottle::smolvm::open_options quick() {
    bottle::smolvm::open_options o;
    o.busy_timeout = std::chrono::milliseconds(100);
    return o;
}

class SqliteVerifier : public ::testing::TestWithParam<bool> {  // param: WAL journal
protected:
    void SetUp() override {
        bottle::test_support::create_smolvm_db(db_path, GetParam());
        raw_connection c(db_path);
        c.put("agent1", illustrative_record("agent1", "null"));
        c.put("match", illustrative_record("match", R"(["127.0.0.16/32"])"));
        c.put("wide", illustrative_record("wide", R"(["10.0.0.0/8"])"));
        c.put("broken", R"({"name":"broken","allowed_cidrs":)");
        c.put("wrongtype", R"({"name":"wrongtype","allowed_cidrs":[1]})");
        c.put("text", illustrative_record("text", "null"), /*as_blob=*/false);
    }
    std::string data_hex(const std::string& name) {
        return raw_connection(db_path).scalar("SELECT hex(data) FROM vms WHERE name='" + name + "'");
    }
    bottle::test_support::temp_dir dir;
    fs::path db_path = dir.path() / "smolvm.db";
    sqlite_allowlist_store store{db_path, quick()};
};

TEST_P(SqliteVerifier, EnforcePatchesAsBlobAndPreservesEverythingElse) {
    const std::string others = data_hex("match") + data_hex("wide") + data_hex("text");
    auto e = bottle::policy::enforce(store, "agent1", kWantedCidrs);
    ASSERT_TRUE(e.ok()) << e.message;
    EXPECT_EQ(e.before.kind, verdict_kind::mismatch);
    EXPECT_TRUE(e.before.unrestricted());
    EXPECT_TRUE(e.patched);
    raw_connection c(db_path);
    EXPECT_EQ(c.scalar("SELECT typeof(data) FROM vms WHERE name='agent1'"), "blob");
    EXPECT_EQ(data_hex("match") + data_hex("wide") + data_hex("text"), others);

    auto now = boost::json::parse(c.scalar("SELECT data FROM vms WHERE name='agent1'")).as_object();
    auto was = boost::json::parse(illustrative_record("agent1", "null")).as_object();
    EXPECT_EQ(now.at("allowed_cidrs"), boost::json::parse(R"(["127.0.0.16/32"])"));
    now.erase("allowed_cidrs");
    was.erase("allowed_cidrs");
    EXPECT_EQ(now, was);  // every other field, known or not, is as it was
    EXPECT_TRUE(bottle::policy::verify(store, "agent1", kWantedCidrs).ok());
}

TEST_P(SqliteVerifier, MatchIsNotRewritten) {
    const std::string before = data_hex("match");
    auto e = bottle::policy::enforce(store, "match", kWantedCidrs);
    EXPECT_TRUE(e.ok());
    EXPECT_FALSE(e.patched);
    EXPECT_EQ(data_hex("match"), before);
}

TEST_P(SqliteVerifier, MissingDatabaseIsReportedAndNeverCreated) {
    const fs::path missing = dir.path() / "absent" / "smolvm.db";
    sqlite_allowlist_store nowhere{missing, quick()};
    EXPECT_EQ(bottle::policy::verify(nowhere, "agent1", kWantedCidrs).kind, verdict_kind::missing_database);
    auto e = bottle::policy::enforce(nowhere, "agent1", kWantedCidrs);
    EXPECT_FALSE(e.ok());
    EXPECT_FALSE(fs::exists(missing));
}

TEST_P(SqliteVerifier, MissingRow) {
    EXPECT_EQ(bottle::policy::verify(store, "ghost", kWantedCidrs).kind, verdict_kind::missing_row);
    EXPECT_FALSE(bottle::policy::enforce(store, "ghost", kWantedCidrs).ok());
    EXPECT_EQ(raw_connection(db_path).scalar("SELECT count(*) FROM vms"), "6");
}

TEST_P(SqliteVerifier, MalformedRowsAreNeverWritten) {
    for (const char* name : {"broken", "wrongtype", "text"}) {
        const std::string before = data_hex(name);
        EXPECT_EQ(bottle::policy::verify(store, name, kWantedCidrs).kind, verdict_kind::malformed) << name;
        auto e = bottle::policy::enforce(store, name, kWantedCidrs);
        EXPECT_FALSE(e.ok());
        EXPECT_FALSE(e.patched);
        EXPECT_EQ(data_hex(name), before);
    }
}

TEST_P(SqliteVerifier, WriteLockHeldByAnotherConnectionFailsEnforce) {
    raw_connection holder(db_path);
    holder.must("BEGIN IMMEDIATE");
    auto e = bottle::policy::enforce(store, "agent1", kWantedCidrs);
    EXPECT_FALSE(e.ok());
    ASSERT_TRUE(e.patch_error.has_value()) << e.message;
    EXPECT_NE(e.patch_error->message.find("lock"), std::string::npos) << e.patch_error->message;
    holder.must("ROLLBACK");
    EXPECT_TRUE(bottle::policy::verify(store, "agent1", kWantedCidrs).unrestricted());
}

TEST_P(SqliteVerifier, AnUpdateSilentlyRevertedByATriggerIsAFailure) {
    raw_connection(db_path).must(
        "CREATE TRIGGER keep_old AFTER UPDATE ON vms BEGIN UPDATE vms SET data = OLD.data WHERE name = NEW.name; END");
    auto e = bottle::policy::enforce(store, "wide", kWantedCidrs);
    EXPECT_FALSE(e.ok());
    EXPECT_TRUE(e.patched);  // SQLite reported one changed row...
    EXPECT_EQ(e.after.kind, verdict_kind::mismatch);  // ...but the list did not change
    EXPECT_EQ(e.after.persisted, std::vector<std::string>{"10.0.0.0/8"});
}

TEST_P(SqliteVerifier, AnUpdateIgnoredByATriggerIsAFailure) {
    raw_connection(db_path).must("CREATE TRIGGER ignore_all BEFORE UPDATE ON vms BEGIN SELECT RAISE(IGNORE); END");
    auto e = bottle::policy::enforce(store, "wide", kWantedCidrs);
    EXPECT_FALSE(e.ok());
    EXPECT_TRUE(e.patch_error.has_value());
    EXPECT_EQ(bottle::policy::verify(store, "wide", {"10.0.0.0/8"}).kind, verdict_kind::match);
}

INSTANTIATE_TEST_SUITE_P(Journal, SqliteVerifier, ::testing::Values(true, false),
                         [](const auto& p) { return p.param ? "wal" : "rollback"; });

TEST(SqliteVerifierLocks, ExclusiveLockMakesTheRecordUnreadable) {
    bottle::test_support::temp_dir dir;
    const fs::path path = dir.path() / "smolvm.db";
    bottle::test_support::create_smolvm_db(path, /*wal=*/false);  // in WAL mode readers are never blocked
    raw_connection holder(path);
    holder.put("agent1", illustrative_record("agent1", R"(["127.0.0.16/32"])"));
    holder.must("BEGIN EXCLUSIVE");
    holder.put("agent1", illustrative_record("agent1", "null"));
    sqlite_allowlist_store store{path, quick()};
    auto v = bottle::policy::verify(store, "agent1", kWantedCidrs);
    EXPECT_EQ(v.kind, verdict_kind::unreadable) << v.message;
    EXPECT_NE(v.message.find("locked"), std::string::npos);
    auto e = bottle::policy::enforce(store, "agent1", kWantedCidrs);
    EXPECT_FALSE(e.ok());
    EXPECT_FALSE(e.patched);
    holder.must("ROLLBACK");
    EXPECT_TRUE(bottle::policy::verify(store, "agent1", kWantedCidrs).ok());
}

// A 0444 file must make enforce fail. Root ignores file modes, so when the
// test runs as root it drops to an unprivileged uid in a child process.
TEST(SqliteVerifierReadOnly, ReadOnlyFileMakesEnforceFail) {
    bottle::test_support::temp_dir dir;
    const fs::path path = dir.path() / "smolvm.db";
    bottle::test_support::create_smolvm_db(path, /*wal=*/false);
    raw_connection(path).put("agent1", illustrative_record("agent1", "null"));
    fs::permissions(path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
    const std::string before = bottle::test_support::file_bytes(path);

    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
        sqlite_allowlist_store store{path, quick()};
        auto e = bottle::policy::enforce(store, "agent1", kWantedCidrs);
        // 0: failed as it must, with a write error after a readable mismatch.
        const bool expected = !e.ok() && e.before.kind == verdict_kind::mismatch && e.patch_error.has_value();
        ::_exit(expected ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "enforce on a read-only file did not fail as expected (3 = could not drop privileges)";
    EXPECT_EQ(bottle::test_support::file_bytes(path), before);
}

}  // namespace
