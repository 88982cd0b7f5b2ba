// bottle-audit is read-only, proven on a live WAL database:
// 1. while a forked process keeps committing, repeated audits succeed and each
//    sees one consistent snapshot (the writer flips which of two machines is
//    unrestricted inside one transaction, so every snapshot has exactly one
//    critical finding — a torn read would show zero or two);
// 2. with the writer gone and its last transactions still only in the WAL
//    (no checkpoint on close), an audit that demonstrably read through the
//    WAL leaves the bytes of the database file and of the WAL unchanged. The
//    `-shm` wal-index is excluded: it is shared-memory coordination that every
//    WAL reader, even a read-only one, updates (read marks), and that SQLite
//    rebuilds from the WAL; it holds no data.
// A control shows the comparison is sensitive: merely opening and closing a
// read-write connection checkpoints the WAL and changes those bytes.
#include "bottle-audit/audit_cli.hpp"

#include "support/smolvm_fixture.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using bottle::test_support::file_bytes;

struct shared_state {
    std::atomic<int> stop{0};
    std::atomic<long> commits{0};
};

std::string record(const std::string& name, bool network, const std::string& cidrs) {
    return R"({"name":")" + name + R"(","state":"running","network":)" + (network ? "true" : "false") +
           R"(,"allowed_cidrs":)" + cidrs + "}";
}

bool put(sqlite3* db, const std::string& name, const std::string& data) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO vms(name, data) VALUES(?1, ?2)", -1, &s, nullptr) != SQLITE_OK) return false;
    sqlite3_bind_text(s, 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 2, data.data(), static_cast<int>(data.size()), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE;
}

/// The forked writer: flips the pair in one transaction until told to stop,
/// then commits a last row, and closes without checkpointing. Exit 0 = fine.
int writer_main(const fs::path& path, shared_state* shared) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) return 10;
    sqlite3_busy_timeout(db, 15000);
    int off = 0;
    sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, &off);
    if (sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0", nullptr, nullptr, nullptr) != SQLITE_OK) return 11;
    for (long gen = 1; shared->stop.load() == 0; ++gen) {
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return 12;
        const bool a_open = gen % 2 == 0;
        const bool ok = put(db, "pair-a", record("pair-a", true, a_open ? "null" : R"(["127.0.0.20/32"])")) &&
                        put(db, "pair-b", record("pair-b", true, a_open ? R"(["127.0.0.20/32"])" : "null")) &&
                        put(db, "churn-" + std::to_string(gen % 64), record("churn-" + std::to_string(gen % 64), false, "null"));
        if (!ok || sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return 13;
        shared->commits.fetch_add(1);
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    if (!put(db, "final", record("final", false, "null"))) return 14;  // autocommit: lands in the WAL only
    if (sqlite3_close(db) != SQLITE_OK) return 15;
    return 0;
}

struct db_files {
    std::string main, wal;
    friend bool operator==(const db_files&, const db_files&) = default;
};

db_files snapshot(const fs::path& path) {
    return {file_bytes(path), file_bytes(path.string() + "-wal")};
}

TEST(AuditReadOnly, LiveWalDatabaseIsAuditedConsistentlyAndLeftByteForByteUnchanged) {
    bottle::test_support::temp_dir dir;
    const fs::path path = dir.path() / "smolvm.db";
    bottle::test_support::create_smolvm_db(path, /*wal=*/true);
    {
        bottle::test_support::raw_connection c(path);
        c.put("pair-a", record("pair-a", true, "null"));
        c.put("pair-b", record("pair-b", true, R"(["127.0.0.20/32"])"));
        c.put("pinned", record("pinned", true, R"(["127.0.0.16/32"])"));
    }
    void* mem = ::mmap(nullptr, sizeof(shared_state), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(mem, MAP_FAILED);
    auto* shared = new (mem) shared_state;
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) ::_exit(writer_main(path, shared));

    // Phase 1: audits during writes.
    const auto env = bottle::smolvm::env_from_map({});
    int audits = 0, overlapped = 0;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < until || overlapped == 0) {
        if (std::chrono::steady_clock::now() > until + std::chrono::seconds(20)) break;
        const long before = shared->commits.load();
        std::ostringstream out, err;
        const int code = bottle::audit::run_audit({"smolvm", "--db", path.string(), "--json"}, env, out, err, false);
        const long after = shared->commits.load();
        ++audits;
        if (after > before) ++overlapped;
        ASSERT_EQ(code, bottle::audit::exit_findings) << err.str();
        const auto doc = boost::json::parse(out.str());
        int unrestricted = 0;
        for (const auto& f : doc.at("findings").as_array())
            if (f.at("id").as_string() == "smolvm.unrestricted_egress") ++unrestricted;
        ASSERT_EQ(unrestricted, 1) << "audit " << audits << " saw a torn snapshot: " << out.str();
    }
    shared->stop.store(1);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0) << "the writer failed";
    EXPECT_GT(shared->commits.load(), 10) << "the writer really wrote";
    EXPECT_GT(overlapped, 0) << "at least one audit ran while commits landed";
    ::munmap(mem, sizeof(shared_state));

    // Phase 2: the writer's last transactions are only in the WAL.
    ASSERT_TRUE(fs::exists(path.string() + "-wal"));
    ASSERT_GT(fs::file_size(path.string() + "-wal"), 0u) << "nothing checkpointed: the WAL holds frames";
    const db_files before = snapshot(path);
    for (int i = 0; i < 3; ++i) {
        std::ostringstream out, err;
        const int code = bottle::audit::run_audit({"smolvm", "--db", path.string()}, env, out, err, false);
        EXPECT_EQ(code, bottle::audit::exit_findings) << err.str();
        EXPECT_NE(out.str().find("INFO smolvm.network_off vm final"), std::string::npos)
            << "the audit read the row that exists only in the WAL:\n" << out.str();
    }
    EXPECT_TRUE(snapshot(path) == before) << "the audit changed the database or its WAL";

    // Control: a read-write open/close checkpoints, and the comparison sees it.
    {
        bottle::test_support::raw_connection rw(path);
        EXPECT_EQ(rw.scalar("SELECT count(*) FROM vms WHERE name = 'final'"), "1");  // the same read the audit made
    }
    const bool wal_gone = !fs::exists(path.string() + "-wal");
    EXPECT_TRUE(wal_gone || !(snapshot(path) == before)) << "a read-write connection changes the bytes; the check is sensitive";
}

}  // namespace
