// The verifier's fail-closed paths on the in-memory store (fault injection).
// allowlist_verifier_sqlite_test.cpp drives the same paths on real files.
#include "bottle/policy/allowlist_verifier.hpp"

#include "support/smolvm_fixture.hpp"
#include "support/in_memory_allowlist_store.hpp"

#include <gtest/gtest.h>

namespace {

using bottle::policy::allowlist_verdict;
using bottle::policy::enforcement;
using bottle::policy::verdict_kind;
using bottle::smolvm::cidr_field;
using bottle::test_support::illustrative_record;
using bottle::test_support::in_memory_allowlist_store;

const std::vector<std::string> kWant{"127.0.0.16/32"};

class Verifier : public ::testing::Test {
protected:
    void SetUp() override {
        store.rows["match"] = illustrative_record("match", R"(["127.0.0.16/32"])");
        store.rows["null"] = illustrative_record("null", "null");
        store.rows["absent"] = R"({"name":"absent","network":true})";
        store.rows["wide"] = illustrative_record("wide", R"(["10.0.0.0/8"])");
        store.rows["empty"] = illustrative_record("empty", "[]");
        store.rows["broken"] = R"({"name":"broken","allowed_cidrs":[)";
        store.rows["wrongtype"] = R"({"name":"wrongtype","allowed_cidrs":["127.0.0.16/32",16]})";
        store.rows["stringlist"] = R"({"name":"stringlist","allowed_cidrs":"127.0.0.16/32"})";
    }
    std::string persisted(const std::string& name) {
        auto rec = bottle::smolvm::vm_record::decode(store.rows.at(name));
        if (!rec) return "<malformed>";
        if (rec->unrestricted()) return "<unrestricted>";
        std::string out;
        for (const auto& c : *rec->allowed_cidrs()) out += c + ";";
        return out;
    }
    in_memory_allowlist_store store;
};

TEST(VerdictDefaults, DefaultConstructedVerdictsAndEnforcementsAreFailures) {
    EXPECT_FALSE(allowlist_verdict{}.ok());
    EXPECT_EQ(allowlist_verdict{}.kind, verdict_kind::not_verified);
    EXPECT_FALSE(enforcement{}.ok());
}

TEST_F(Verifier, MatchIsOnlyAPositiveReadOfTheSameSet) {
    auto v = bottle::policy::verify(store, "match", kWant);
    EXPECT_TRUE(v.ok()) << v.message;
    EXPECT_EQ(v.persisted, kWant);
    // Set semantics: order and duplicates in want do not matter.
    store.rows["two"] = illustrative_record("two", R"(["b/32","a/32","b/32"])");
    EXPECT_TRUE(bottle::policy::verify(store, "two", {"a/32", "b/32", "a/32"}).ok());
    // Exact strings: no trimming, case folding or CIDR normalisation.
    EXPECT_FALSE(bottle::policy::verify(store, "match", {"127.0.0.16"}).ok());
    EXPECT_FALSE(bottle::policy::verify(store, "match", {" 127.0.0.16/32"}).ok());
}

TEST_F(Verifier, NullAndAbsentAreUnrestrictedMismatches) {
    for (const char* name : {"null", "absent"}) {
        auto v = bottle::policy::verify(store, name, kWant);
        EXPECT_EQ(v.kind, verdict_kind::mismatch) << name;
        EXPECT_TRUE(v.unrestricted()) << name;
        EXPECT_NE(v.message.find("unrestricted"), std::string::npos);
    }
    EXPECT_EQ(bottle::policy::verify(store, "null", kWant).persisted_field, cidr_field::null);
    EXPECT_EQ(bottle::policy::verify(store, "absent", kWant).persisted_field, cidr_field::absent);
    // Even wanting deny-all, null does not match.
    EXPECT_FALSE(bottle::policy::verify(store, "null", {}).ok());
}

TEST_F(Verifier, DenyAllIsALegitimateWant) {
    EXPECT_TRUE(bottle::policy::verify(store, "empty", {}).ok());
    auto v = bottle::policy::verify(store, "empty", kWant);
    EXPECT_EQ(v.kind, verdict_kind::mismatch);
    EXPECT_FALSE(v.unrestricted());
}

TEST_F(Verifier, MismatchCarriesThePersistedList) {
    auto v = bottle::policy::verify(store, "wide", kWant);
    EXPECT_EQ(v.kind, verdict_kind::mismatch);
    EXPECT_EQ(v.persisted, std::vector<std::string>{"10.0.0.0/8"});
    EXPECT_NE(v.message.find("10.0.0.0/8"), std::string::npos);
}

TEST_F(Verifier, EveryUnreadableStateIsItsOwnFailure) {
    EXPECT_EQ(bottle::policy::verify(store, "ghost", kWant).kind, verdict_kind::missing_row);
    EXPECT_EQ(bottle::policy::verify(store, "broken", kWant).kind, verdict_kind::malformed);
    EXPECT_EQ(bottle::policy::verify(store, "wrongtype", kWant).kind, verdict_kind::malformed);
    EXPECT_EQ(bottle::policy::verify(store, "stringlist", kWant).kind, verdict_kind::malformed);
    store.faults.locked = true;
    EXPECT_EQ(bottle::policy::verify(store, "match", kWant).kind, verdict_kind::unreadable);
    store.faults.missing_database = true;
    EXPECT_EQ(bottle::policy::verify(store, "match", kWant).kind, verdict_kind::missing_database);
}

TEST_F(Verifier, EnforceOnMatchDoesNotWrite) {
    auto e = bottle::policy::enforce(store, "match", kWant);
    EXPECT_TRUE(e.ok()) << e.message;
    EXPECT_FALSE(e.patched);
    EXPECT_EQ(store.patch_calls, 0);
}

TEST_F(Verifier, EnforcePatchesMismatchesAndConfirms) {
    for (const char* name : {"null", "absent", "wide", "empty"}) {
        const std::string before_other = store.rows.at("match");
        auto e = bottle::policy::enforce(store, name, kWant);
        EXPECT_TRUE(e.ok()) << name << ": " << e.message;
        EXPECT_TRUE(e.patched);
        EXPECT_EQ(e.before.kind, verdict_kind::mismatch);
        EXPECT_EQ(e.after.kind, verdict_kind::match);
        EXPECT_EQ(persisted(name), "127.0.0.16/32;");
        EXPECT_EQ(store.rows.at("match"), before_other);  // no other row touched
    }
}

TEST_F(Verifier, EnforceWritesTheCanonicalSet) {
    auto e = bottle::policy::enforce(store, "null", {"b/32", "a/32", "b/32"});
    ASSERT_TRUE(e.ok()) << e.message;
    EXPECT_EQ(persisted("null"), "a/32;b/32;");
}

TEST_F(Verifier, EnforceNeverWritesWhatItCouldNotRead) {
    for (const char* name : {"ghost", "broken", "wrongtype", "stringlist"}) {
        const auto rows_before = store.rows;
        auto e = bottle::policy::enforce(store, name, kWant);
        EXPECT_FALSE(e.ok()) << name;
        EXPECT_FALSE(e.patched);
        EXPECT_EQ(store.patch_calls, 0) << name;
        EXPECT_EQ(store.rows, rows_before);
    }
    store.faults.locked = true;
    EXPECT_FALSE(bottle::policy::enforce(store, "null", kWant).ok());
    store.faults = {};
    store.faults.missing_database = true;
    auto e = bottle::policy::enforce(store, "null", kWant);
    EXPECT_FALSE(e.ok());
    EXPECT_EQ(e.before.kind, verdict_kind::missing_database);
    EXPECT_EQ(store.patch_calls, 0);
}

TEST_F(Verifier, EnforceFailsWhenTheWriteFails) {
    for (int fault = 0; fault < 2; ++fault) {
        store.faults = {};
        (fault == 0 ? store.faults.read_only : store.faults.patch_errors) = true;
        auto e = bottle::policy::enforce(store, "null", kWant);
        EXPECT_FALSE(e.ok());
        EXPECT_FALSE(e.patched);
        ASSERT_TRUE(e.patch_error.has_value());
        EXPECT_EQ(e.after.kind, verdict_kind::not_verified);
        EXPECT_EQ(persisted("null"), "<unrestricted>");
    }
}

TEST_F(Verifier, AWriteThatDoesNotTakeIsAFailure) {
    store.faults.patch_ignored = true;
    auto e = bottle::policy::enforce(store, "wide", kWant);
    EXPECT_FALSE(e.ok());
    EXPECT_TRUE(e.patched);  // the store claimed success...
    EXPECT_EQ(e.after.kind, verdict_kind::mismatch);  // ...but the re-read disagrees
    EXPECT_NE(e.message.find("re-read"), std::string::npos);

    store.faults = {};
    store.faults.patch_wrong_value = true;
    auto wrong = bottle::policy::enforce(store, "null", kWant);
    EXPECT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.after.kind, verdict_kind::mismatch);
}

TEST_F(Verifier, AnUnreadableReReadIsAFailure) {
    store.faults.lock_after_patch = true;
    auto e = bottle::policy::enforce(store, "null", kWant);
    EXPECT_FALSE(e.ok());
    EXPECT_TRUE(e.patched);
    EXPECT_EQ(e.after.kind, verdict_kind::unreadable);
    EXPECT_EQ(persisted("null"), "127.0.0.16/32;");  // it did take, but was not confirmed
}

TEST_F(Verifier, VerdictReportsNetworkAndDnsHostsForCallers) {
    store.rows["dns"] = R"({"name":"dns","network":true,"allowed_cidrs":["127.0.0.16/32"],"dns_filter_hosts":["example.com"]})";
    auto v = bottle::policy::verify(store, "dns", kWant);
    EXPECT_TRUE(v.ok());
    EXPECT_TRUE(v.network);
    EXPECT_EQ(v.dns_filter_hosts, std::vector<std::string>{"example.com"});
}

}  // namespace
