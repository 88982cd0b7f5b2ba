// bottle/smolvm/state_db.hpp — smolvm's SQLite state database
// (`vms(name TEXT PRIMARY KEY, data BLOB)`, the BLOB a JSON vm_record).
//
// Two ways in, chosen at open time:
// - `open_read_only` (audits, verify): URI `file:PATH?mode=ro` with
//   SQLITE_OPEN_READONLY; never creates the file, never writes, copes with a
//   concurrent WAL writer through a busy timeout (15 s, smolvm's own).
// - `open_read_write` (enforce): also never creates the file; the only write
//   it can make is `patch_allowed_cidrs`, which rewrites one row's
//   `allowed_cidrs` as a BLOB (smolvm cannot read a TEXT record) inside
//   BEGIN IMMEDIATE, leaving every other field and row untouched. It does not
//   touch `network`: turning egress on would weaken a machine, and a machine
//   with network=false has no egress at all, which is stricter than any list.
//
// Errors: not_found (the file, or a row) naming the path and a remedy;
// database_error carrying SQLite's message and code and the path;
// invalid_argument for a write on a read-only handle. Rows are decoded lazily
// (`raw_row::decode`), so one malformed row never hides the others.
#pragma once

#include "bottle/result.hpp"
#include "bottle/smolvm/detail/sqlite_handle.hpp"
#include "bottle/smolvm/vm_record.hpp"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace bottle::smolvm {

struct open_options {
    std::chrono::milliseconds busy_timeout{15000};  ///< how long to wait for a writer's lock
    std::size_t max_rows = 100000;                  ///< list() refuses more rows than this
    decode_limits limits{};                         ///< bounds for every record read
};

/// One `vms` row as stored: decoded only on request.
struct raw_row {
    std::string name;
    std::string data;             ///< the record bytes (empty when oversized)
    std::size_t size = 0;         ///< length of the stored value in bytes
    bool stored_as_blob = false;  ///< `typeof(data) = 'blob'`

    /// Decodes the row, failing (parse_error) when smolvm could not read it
    /// either: data stored as TEXT, or a record whose `name` differs from the
    /// row key; limit_exceeded when the stored value was too large to load.
    [[nodiscard]] result<vm_record> decode(const decode_limits& limits = {}) const {
        if (size > limits.max_bytes || size != data.size())
            return make_error(errc::limit_exceeded, "smolvm machine '" + name + "': record of " + std::to_string(size) +
                                                        " bytes exceeds the limit of " + std::to_string(limits.max_bytes) +
                                                        " bytes (decode_limits::max_bytes)");
        if (!stored_as_blob)
            return make_error(errc::parse_error, "smolvm machine '" + name +
                                                     "': data is not stored as a BLOB (smolvm cannot read a TEXT record)");
        auto rec = vm_record::decode(data, limits);
        if (!rec) return error{rec.error().code, "smolvm machine '" + name + "': " + rec.error().message};
        if (rec->name() != name)
            return make_error(errc::parse_error, "smolvm machine '" + name + "': the record inside is named '" + rec->name() + "'");
        return rec;
    }
};

class state_db {
public:
    /// Opens for reading only. Errors: not_found when PATH does not exist
    /// (nothing is created), database_error when SQLite refuses.
    [[nodiscard]] static result<state_db> open_read_only(const std::filesystem::path& path, const open_options& opts = {}) {
        return open(path, opts, true);
    }
    /// Opens for `patch_allowed_cidrs`. Same errors; never creates the file.
    [[nodiscard]] static result<state_db> open_read_write(const std::filesystem::path& path, const open_options& opts = {}) {
        return open(path, opts, false);
    }

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] bool read_only() const noexcept { return read_only_; }

    /// Every row, ordered by name, from one consistent snapshot.
    /// Errors: database_error (locked, not a smolvm database, ...),
    /// limit_exceeded past `open_options::max_rows`.
    [[nodiscard]] result<std::vector<raw_row>> list() const {
        std::vector<raw_row> rows;
        if (auto r = for_each([&rows](raw_row&& row) { rows.push_back(std::move(row)); }); !r) return r.error();
        return rows;
    }

    /// Streams every row, ordered by name, from one consistent snapshot (one
    /// SELECT): `visit(raw_row&&)` is called once per row as it is read, so
    /// only the row in hand is held (the visitor may keep it by moving it).
    /// Errors as for list(); on an error some rows may already have been
    /// visited, so the caller must treat the visit as incomplete (never as an
    /// empty success). An exception thrown by `visit` propagates to the
    /// caller (the statement is finalized on the way out).
    template <class Visitor>
    [[nodiscard]] result<void> for_each(Visitor&& visit) const {
        auto stmt = prepare("SELECT name, data, typeof(data) = 'blob' FROM vms ORDER BY name", "listing machines");
        if (!stmt) return stmt.error();
        std::size_t seen = 0;
        for (;;) {
            const int rc = sqlite3_step(stmt->get());
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) return detail::sqlite_error(db_.get(), rc, "listing machines", path_);
            if (seen >= opts_.max_rows)
                return make_error(errc::limit_exceeded, "smolvm database " + path_.string() + ": more than " +
                                                            std::to_string(opts_.max_rows) + " machines (open_options::max_rows)");
            ++seen;
            visit(read_row(stmt->get()));
        }
        return {};
    }

    /// The row named `name`. Errors: not_found when there is no such row,
    /// database_error as for list().
    [[nodiscard]] result<raw_row> get_raw(std::string_view name) const {
        auto stmt = prepare("SELECT name, data, typeof(data) = 'blob' FROM vms WHERE name = ?1", "reading a machine");
        if (!stmt) return stmt.error();
        sqlite3_bind_text(stmt->get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
        const int rc = sqlite3_step(stmt->get());
        if (rc == SQLITE_DONE)
            return make_error(errc::not_found, "smolvm database " + path_.string() + ": no machine named '" + std::string(name) +
                                                   "' (list machines with `smolvm machine ls`)");
        if (rc != SQLITE_ROW) return detail::sqlite_error(db_.get(), rc, "reading machine '" + std::string(name) + "'", path_);
        return read_row(stmt->get());
    }

    /// The decoded record named `name` (get_raw + raw_row::decode).
    [[nodiscard]] result<vm_record> get(std::string_view name) const {
        auto row = get_raw(name);
        if (!row) return row.error();
        return row->decode(opts_.limits);
    }

    /// Rewrites `allowed_cidrs` of machine `name` to `cidrs` (as given), in
    /// one BEGIN IMMEDIATE transaction, binding the record as a BLOB. Every
    /// other key of the record and every other row is left as it was.
    /// Errors: invalid_argument on a read-only handle; not_found when the row
    /// is missing; parse_error/limit_exceeded when the stored record cannot
    /// be decoded (it is never overwritten then); database_error otherwise.
    /// On any error the transaction is rolled back.
    [[nodiscard]] result<void> patch_allowed_cidrs(std::string_view name, const std::vector<std::string>& cidrs) {
        if (read_only_)
            return make_error(errc::invalid_argument, "smolvm database " + path_.string() +
                                                          ": opened read-only; open it with open_read_write to enforce");
        if (auto rc = exec("BEGIN IMMEDIATE"); rc != SQLITE_OK)
            return detail::sqlite_error(db_.get(), rc, "starting a write transaction", path_);
        auto done = patch_in_transaction(name, cidrs);
        if (done) {
            if (auto rc = exec("COMMIT"); rc != SQLITE_OK) {
                auto err = detail::sqlite_error(db_.get(), rc, "committing the allowlist of '" + std::string(name) + "'", path_);
                (void)exec("ROLLBACK");
                return err;
            }
            return {};
        }
        (void)exec("ROLLBACK");
        return done;
    }

private:
    state_db(detail::db_handle db, std::filesystem::path path, open_options opts, bool read_only)
        : db_(std::move(db)), path_(std::move(path)), opts_(opts), read_only_(read_only) {}

    static result<state_db> open(const std::filesystem::path& path, const open_options& opts, bool read_only) {
        std::error_code ec;
        const bool exists = std::filesystem::exists(path, ec);
        if (!ec && !exists)
            return make_error(errc::not_found, "smolvm database " + path.string() +
                                                   " does not exist; create a machine with smolvm first, or point at the "
                                                   "right file with --db or SMOLVM_DATA_DIR");
        const auto absolute = std::filesystem::absolute(path, ec);
        if (ec) return make_error(errc::io_error, "smolvm database " + path.string() + ": cannot make the path absolute: " + ec.message());
        const std::string uri = detail::sqlite_file_uri(absolute, read_only ? "ro" : "rw");
        const int flags = SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE | (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
        sqlite3* raw = nullptr;
        const int rc = sqlite3_open_v2(uri.c_str(), &raw, flags, nullptr);
        detail::db_handle db(raw);
        if (rc != SQLITE_OK) {
            if ((rc & 0xFF) == SQLITE_CANTOPEN && !std::filesystem::exists(path, ec))
                return make_error(errc::not_found, "smolvm database " + path.string() + " does not exist (it vanished while opening)");
            return detail::sqlite_error(db.get(), rc, read_only ? "opening read-only" : "opening read-write", path);
        }
        sqlite3_busy_timeout(db.get(), static_cast<int>(opts.busy_timeout.count()));
        return state_db(std::move(db), path, opts, read_only);
    }

    result<detail::stmt_handle> prepare(const char* sql, std::string_view doing) const {
        sqlite3_stmt* raw = nullptr;
        const int rc = sqlite3_prepare_v2(db_.get(), sql, -1, &raw, nullptr);
        detail::stmt_handle stmt(raw);
        if (rc != SQLITE_OK) return detail::sqlite_error(db_.get(), rc, doing, path_);
        return stmt;
    }

    int exec(const char* sql) { return sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr); }

    raw_row read_row(sqlite3_stmt* stmt) const {
        raw_row row;
        const auto* name = sqlite3_column_text(stmt, 0);
        row.name.assign(name ? reinterpret_cast<const char*>(name) : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
        row.stored_as_blob = sqlite3_column_int(stmt, 2) != 0;
        const auto* bytes = sqlite3_column_blob(stmt, 1);
        row.size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, 1));
        if (bytes != nullptr && row.size <= opts_.limits.max_bytes) row.data.assign(static_cast<const char*>(bytes), row.size);
        if (bytes == nullptr) row.size = 0;
        return row;
    }

    result<void> patch_in_transaction(std::string_view name, const std::vector<std::string>& cidrs) {
        auto rec = get(name);
        if (!rec) return rec.error();
        rec->set_allowed_cidrs(cidrs);
        const std::string bytes = rec->encode();
        auto stmt = prepare("UPDATE vms SET data = ?1 WHERE name = ?2", "writing the allowlist");
        if (!stmt) return stmt.error();
        sqlite3_bind_blob(stmt->get(), 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
        sqlite3_bind_text(stmt->get(), 2, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
        if (const int rc = sqlite3_step(stmt->get()); rc != SQLITE_DONE)
            return detail::sqlite_error(db_.get(), rc, "writing the allowlist of '" + std::string(name) + "'", path_);
        if (sqlite3_changes(db_.get()) != 1)
            return make_error(errc::internal, "smolvm database " + path_.string() + ": updating '" + std::string(name) +
                                                  "' changed " + std::to_string(sqlite3_changes(db_.get())) + " rows, expected 1");
        return {};
    }

    detail::db_handle db_;
    std::filesystem::path path_;
    open_options opts_;
    bool read_only_ = true;
};

}  // namespace bottle::smolvm
