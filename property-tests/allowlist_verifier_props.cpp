// allowlist_verifier model test: random stores (row absent, allowed_cidrs
// absent / null / list, malformed) and random faults. Properties:
//  - enforce().ok() equals the model's prediction;
//  - ok() implies the persisted list (read without faults) equals want;
//  - no row other than the target ever changes, and a store whose record
//    already matched (or could not be read) is never written;
//  - on a real SQLite file without faults, enforce always ends in a match.
#include "bottle/policy/allowlist_verifier.hpp"
#include "bottle/smolvm/sqlite_allowlist_store.hpp"

#include "support/in_memory_allowlist_store.hpp"
#include "support/smolvm_fixture.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace {

using bottle::policy::canonical_cidr_set;
using bottle::test_support::in_memory_allowlist_store;

enum class shape { no_row, field_absent, field_null, list, malformed, wrong_type };

const std::vector<std::string> kPool{"127.0.0.16/32", "127.0.0.17/32", "10.0.0.0/8", "::1/128", "192.168.1.0/24"};

std::vector<std::string> gen_list() {
    std::vector<std::string> v;
    const int n = *rc::gen::inRange(0, 5);
    for (int i = 0; i < n; ++i) v.push_back(*rc::gen::elementOf(kPool));  // duplicates and any order
    return v;
}

std::string json_list(const std::vector<std::string>& v) {
    boost::json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return boost::json::serialize(a);
}

std::string record_for(shape s, const std::string& name, const std::vector<std::string>& list) {
    switch (s) {
        case shape::field_absent: return R"({"name":")" + name + R"(","network":true})";
        case shape::field_null: return bottle::test_support::illustrative_record(name, "null");
        case shape::list: return bottle::test_support::illustrative_record(name, json_list(list));
        case shape::malformed: return R"({"name":")" + name + R"(","allowed_cidrs":[)";
        case shape::wrong_type: return R"({"name":")" + name + R"(","allowed_cidrs":[1,2]})";
        case shape::no_row: break;
    }
    return {};
}

RC_GTEST_PROP(AllowlistVerifierModel, EnforceSucceedsIffThePersistedListEqualsWant, ()) {
    const auto s = *rc::gen::element(shape::no_row, shape::field_absent, shape::field_null, shape::list, shape::malformed,
                                     shape::wrong_type);
    const auto stored = gen_list();
    const auto want = gen_list();
    in_memory_allowlist_store store;
    if (s != shape::no_row) store.rows["vm"] = record_for(s, "vm", stored);
    store.rows["other"] = bottle::test_support::illustrative_record("other", "null");
    auto coin = [] { return *rc::gen::weightedElement<bool>({{1, true}, {4, false}}); };
    store.faults.missing_database = coin();
    store.faults.locked = coin();
    store.faults.read_only = coin();
    store.faults.patch_errors = coin();
    store.faults.patch_ignored = coin();
    store.faults.patch_wrong_value = coin();
    store.faults.lock_after_patch = coin();
    const auto faults = store.faults;
    const auto rows_before = store.rows;

    auto result = bottle::policy::enforce(store, "vm", want);

    // The model.
    const bool readable = !faults.missing_database && !faults.locked && s != shape::no_row && s != shape::malformed &&
                          s != shape::wrong_type;
    const bool matched = readable && s == shape::list && canonical_cidr_set(stored) == canonical_cidr_set(want);
    const bool write_takes = !faults.read_only && !faults.patch_errors && !faults.patch_ignored && !faults.patch_wrong_value;
    const bool expected_ok = matched || (readable && write_takes && !faults.lock_after_patch);
    RC_ASSERT(result.ok() == expected_ok);
    RC_ASSERT(result.before.ok() == matched);

    // Ground truth, read with every fault cleared.
    store.faults = {};
    auto truth = bottle::policy::verify(store, "vm", want);
    if (result.ok()) RC_ASSERT(truth.ok());
    if (!readable || matched) RC_ASSERT(store.rows == rows_before);  // nothing written
    if (!readable || matched) RC_ASSERT(store.patch_calls == 0);
    RC_ASSERT(store.rows.at("other") == rows_before.at("other"));
    // With no write fault, the persisted list equals want afterwards exactly when enforce could run.
    if (readable && write_takes) RC_ASSERT(truth.ok());
}

RC_GTEST_PROP(AllowlistVerifierModel, VerifyIsAMatchOnlyForAnEqualList, ()) {
    const auto s = *rc::gen::element(shape::field_absent, shape::field_null, shape::list);
    const auto stored = gen_list();
    const auto want = gen_list();
    in_memory_allowlist_store store;
    store.rows["vm"] = record_for(s, "vm", stored);
    auto v = bottle::policy::verify(store, "vm", want);
    const bool equal = s == shape::list && std::set<std::string>(stored.begin(), stored.end()) ==
                                               std::set<std::string>(want.begin(), want.end());
    RC_ASSERT(v.ok() == equal);
    RC_ASSERT(v.unrestricted() == (s != shape::list));
}

RC_GTEST_PROP(AllowlistVerifierModel, EnforceOnARealFileEndsInAMatch, ()) {
    const auto s = *rc::gen::element(shape::field_absent, shape::field_null, shape::list);
    const auto stored = gen_list();
    const auto want = gen_list();
    bottle::test_support::temp_dir dir;
    const auto path = dir.path() / "smolvm.db";
    bottle::test_support::create_smolvm_db(path, *rc::gen::arbitrary<bool>());
    bottle::test_support::raw_connection c(path);
    c.put("vm", record_for(s, "vm", stored));
    c.put("other", bottle::test_support::illustrative_record("other"));
    const std::string other = c.scalar("SELECT hex(data) FROM vms WHERE name='other'");
    bottle::smolvm::sqlite_allowlist_store store{path};
    auto e = bottle::policy::enforce(store, "vm", want);
    RC_ASSERT(e.ok());
    RC_ASSERT(e.patched == !(s == shape::list && canonical_cidr_set(stored) == canonical_cidr_set(want)));
    RC_ASSERT(c.scalar("SELECT typeof(data) FROM vms WHERE name='vm'") == "blob");
    RC_ASSERT(c.scalar("SELECT hex(data) FROM vms WHERE name='other'") == other);
}

}  // namespace
