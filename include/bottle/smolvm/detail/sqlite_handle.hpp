// bottle/smolvm/detail/sqlite_handle.hpp — RAII for the SQLite3 C API and the
// small helpers state_db needs (URI building, error text).
#pragma once

#include "bottle/result.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace bottle::smolvm::detail {

struct db_closer {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct stmt_finalizer {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using db_handle = std::unique_ptr<sqlite3, db_closer>;
using stmt_handle = std::unique_ptr<sqlite3_stmt, stmt_finalizer>;

/// "file://" URI for an absolute path: everything but unreserved characters
/// and '/' is percent-encoded, so '?', '#', '%' and spaces in the path can
/// never be read as URI syntax. The leading "//" (empty authority) keeps a
/// path that starts with "//" from being read as a host name.
[[nodiscard]] inline std::string sqlite_file_uri(const std::filesystem::path& absolute, std::string_view mode) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string uri = "file://";
    for (unsigned char c : absolute.string()) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-' ||
                           c == '.' || c == '_' || c == '~';
        if (plain) {
            uri += static_cast<char>(c);
        } else {
            uri += '%';
            uri += hex[c >> 4];
            uri += hex[c & 0xF];
        }
    }
    uri += "?mode=";
    uri += mode;
    return uri;
}

/// An error for a failed SQLite call: what we were doing, the database path,
/// SQLite's own message and extended code, and what to do when it is a lock.
[[nodiscard]] inline error sqlite_error(sqlite3* db, int rc, std::string_view doing, const std::filesystem::path& path) {
    const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    std::string text = "smolvm database " + path.string() + ": " + std::string(doing) + " failed: " + (msg ? msg : "?") +
                       " (SQLite code " + std::to_string(rc) + ")";
    const int primary = rc & 0xFF;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        text += "; another process holds a lock on the database (smolvm itself?) — retry, or raise the busy timeout";
    else if (primary == SQLITE_READONLY)
        text += "; the database or its directory is not writable by this user";
    else if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
        text += "; this file is not a readable smolvm database";
    return make_error(errc::database_error, std::move(text));
}

}  // namespace bottle::smolvm::detail
