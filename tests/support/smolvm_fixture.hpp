// tests/smolvm/smolvm_fixture.hpp — test support (not a test target): temp
// directories under /tmp and smolvm-shaped SQLite databases built with the
// schema from reference/smolvm-state-db.md. Shared by the smolvm and policy
// tests and the state_db benchmark. Throws std::runtime_error on setup failure.
#pragma once

#include "support/temp_dir.hpp"

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

namespace bottle::test_support {

/// The illustrative record from the reference, with `name` and
/// `allowed_cidrs` (raw JSON text) substituted.
inline std::string illustrative_record(std::string_view name = "agent1", std::string_view cidrs_json = R"(["10.0.0.0/8"])") {
    return std::string(R"({"name":")") + std::string(name) + R"(","created_at":1755800000,"state":"running","pid":48213,)"
           R"("pid_start_time":1755800012,"cpus":2,"mem":2048,)"
           R"("mounts":[["/Users/me/src","/app",true]],"ports":[[8080,80]],)"
           R"("published_sockets":[],"network":true,"gpu":null,"gpu_vram_mib":null,)"
           R"("rosetta":null,"restart":{"policy":"never","max_retries":0,)"
           R"("max_backoff_secs":0,"restart_count":0,"user_stopped":false},)"
           R"("last_exit_code":null,"init":[],"init_completed":false,"remote_volumes":[],)"
           R"("env":[["FOO","bar"]],"workdir":null,"storage_gb":null,"overlay_gb":null,)"
           R"("allowed_cidrs":)" + std::string(cidrs_json) + R"(,"image":"alpine:3.20","entrypoint":[],"cmd":[],)"
           R"("health_cmd":null,"health_interval_secs":null,"health_timeout_secs":null,)"
           R"("health_retries":null,"health_startup_grace_secs":null,"ssh_agent":false,)"
           R"("cuda":false,"docker_socket":false,"ephemeral":false,"runtime_managed":false})";
}

using bottle::test_support::temp_dir;  // tests/support/temp_dir.hpp

/// A plain read-write connection for building fixtures (not the code under test).
class raw_connection {
public:
    explicit raw_connection(const std::filesystem::path& path, bool create = false) {
        const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
        if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK)
            throw std::runtime_error("fixture: cannot open " + path.string());
    }
    ~raw_connection() { sqlite3_close_v2(db_); }
    raw_connection(const raw_connection&) = delete;
    raw_connection& operator=(const raw_connection&) = delete;

    /// Runs SQL; returns the SQLite result code (0 = OK).
    int exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }
    void must(const std::string& sql) {
        if (exec(sql) != SQLITE_OK) throw std::runtime_error("fixture: " + sql + ": " + sqlite3_errmsg(db_));
    }
    /// Inserts or replaces a row, `data` bound as BLOB or (to model a bad writer) TEXT.
    void put(std::string_view name, std::string_view data, bool as_blob = true) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO vms(name, data) VALUES(?1, ?2)", -1, &s, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("fixture: prepare: ") + sqlite3_errmsg(db_));
        sqlite3_bind_text(s, 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
        if (as_blob) sqlite3_bind_blob(s, 2, data.data(), static_cast<int>(data.size()), SQLITE_TRANSIENT);
        else sqlite3_bind_text(s, 2, data.data(), static_cast<int>(data.size()), SQLITE_TRANSIENT);
        const int rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE) throw std::runtime_error(std::string("fixture: insert: ") + sqlite3_errmsg(db_));
    }
    /// First column of the first row as text ("" when no row).
    std::string scalar(const std::string& sql) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("fixture: prepare: ") + sqlite3_errmsg(db_));
        std::string out;
        if (sqlite3_step(s) == SQLITE_ROW) {
            const auto* t = sqlite3_column_text(s, 0);
            if (t != nullptr) out.assign(reinterpret_cast<const char*>(t), static_cast<std::size_t>(sqlite3_column_bytes(s, 0)));
        }
        sqlite3_finalize(s);
        return out;
    }
    [[nodiscard]] sqlite3* get() const noexcept { return db_; }

private:
    sqlite3* db_ = nullptr;
};

/// Creates smolvm's schema (vms + config) at `path`, WAL or rollback journal.
inline void create_smolvm_db(const std::filesystem::path& path, bool wal = true) {
    raw_connection c(path, true);
    if (wal) c.must("PRAGMA journal_mode=WAL");
    c.must("PRAGMA synchronous=NORMAL");
    c.must("CREATE TABLE IF NOT EXISTS vms (name TEXT PRIMARY KEY NOT NULL, data BLOB NOT NULL)");
    c.must("CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)");
    c.must("INSERT OR REPLACE INTO config(key, value) VALUES('version', '1')");
}

inline std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("fixture: cannot read " + path.string());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace bottle::test_support
