// bottle/smolvm/sqlite_allowlist_store.hpp — the real allowlist store of
// policy::allowlist_verifier: smolvm's SQLite state database.
//
// The file is opened per call (read-only to read, read-write only to patch),
// so each read sees what is committed on disk — `enforce` re-reads through a
// fresh connection before it claims success. Store contract (see
// policy/allowlist_verifier.hpp): a missing row is a value of nullopt, a
// missing database is not_found, a record that does not decode is
// parse_error / limit_exceeded, anything else is an error as SQLite reports
// it. Lives in smolvm, not policy, so that bottle::policy links no SQLite.
#pragma once

#include "bottle/policy/allowlist_verifier.hpp"
#include "bottle/result.hpp"
#include "bottle/smolvm/state_db.hpp"
#include "bottle/smolvm/vm_record.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bottle::smolvm {

class sqlite_allowlist_store {
public:
    explicit sqlite_allowlist_store(std::filesystem::path path, open_options opts = {})
        : path_(std::move(path)), opts_(opts) {}

    [[nodiscard]] result<std::optional<vm_record>> find_record(std::string_view machine) {
        auto db = state_db::open_read_only(path_, opts_);
        if (!db) return db.error();
        auto row = db->get_raw(machine);
        if (!row) {
            if (row.error().code == make_error_code(errc::not_found)) return std::optional<vm_record>{};
            return row.error();
        }
        auto rec = row->decode(opts_.limits);
        if (!rec) return rec.error();
        return std::optional<vm_record>{std::move(*rec)};
    }

    [[nodiscard]] result<void> patch_allowed_cidrs(std::string_view machine, const std::vector<std::string>& cidrs) {
        auto db = state_db::open_read_write(path_, opts_);
        if (!db) return db.error();
        return db->patch_allowed_cidrs(machine, cidrs);
    }

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
    open_options opts_;
};

static_assert(policy::allowlist_store<sqlite_allowlist_store>);

}  // namespace bottle::smolvm
