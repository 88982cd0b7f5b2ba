// tests/policy/in_memory_allowlist_store.hpp — test support (not a test
// target): an allowlist_store kept in memory, with fault injection, so every
// fail-closed path of the verifier can be driven deterministically. Rows hold
// raw record bytes and go through the real vm_record decoder, so malformed
// JSON and wrong types are exercised for real.
#pragma once

#include "bottle/policy/allowlist_verifier.hpp"
#include "bottle/smolvm/vm_record.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::test_support {

struct store_faults {
    bool missing_database = false;  ///< every call: not_found (no database)
    bool locked = false;            ///< reads fail: database is locked
    bool read_only = false;         ///< patches fail: attempt to write a readonly database
    bool patch_errors = false;      ///< patches fail with an I/O error
    bool patch_ignored = false;     ///< patches report success but change nothing
    bool patch_wrong_value = false; ///< patches write something other than asked
    bool lock_after_patch = false;  ///< reads fail once a patch has been made
};

class in_memory_allowlist_store {
public:
    store_faults faults;
    std::map<std::string, std::string, std::less<>> rows;  ///< name -> record bytes
    int patch_calls = 0;

    [[nodiscard]] result<std::optional<smolvm::vm_record>> find_record(std::string_view machine) {
        if (faults.missing_database) return make_error(errc::not_found, "in-memory store: no database");
        if (faults.locked || (faults.lock_after_patch && patch_calls > 0))
            return make_error(errc::database_error, "in-memory store: database is locked");
        auto it = rows.find(machine);
        if (it == rows.end()) return std::optional<smolvm::vm_record>{};
        auto rec = smolvm::vm_record::decode(it->second);
        if (!rec) return rec.error();
        if (rec->name() != machine) return make_error(errc::parse_error, "in-memory store: record names another machine");
        return std::optional<smolvm::vm_record>{std::move(*rec)};
    }

    [[nodiscard]] result<void> patch_allowed_cidrs(std::string_view machine, const std::vector<std::string>& cidrs) {
        ++patch_calls;
        if (faults.missing_database) return make_error(errc::not_found, "in-memory store: no database");
        if (faults.read_only) return make_error(errc::database_error, "in-memory store: attempt to write a readonly database");
        if (faults.patch_errors) return make_error(errc::io_error, "in-memory store: disk I/O error");
        if (faults.patch_ignored) return {};
        auto it = rows.find(machine);
        if (it == rows.end()) return make_error(errc::not_found, "in-memory store: no such machine");
        auto rec = smolvm::vm_record::decode(it->second);
        if (!rec) return rec.error();
        if (faults.patch_wrong_value) {
            auto wrong = cidrs;
            wrong.push_back("0.0.0.0/0");
            rec->set_allowed_cidrs(wrong);
        } else {
            rec->set_allowed_cidrs(cidrs);
        }
        it->second = rec->encode();
        return {};
    }
};

static_assert(policy::allowlist_store<in_memory_allowlist_store>);

}  // namespace bottle::test_support
