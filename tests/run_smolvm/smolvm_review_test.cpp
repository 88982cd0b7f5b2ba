// Units found by the security review of the smolmachines backend: version
// pre-releases, what a stored record must say besides its allowlist, records
// our decoder refuses but smolvm may run, gc's view of a launch in progress,
// and protected directories shared by two launches on one workspace.
#include "bottle-run/backends/smolmachines/alias.hpp"
#include "bottle-run/backends/smolmachines/plan.hpp"
#include "bottle-run/protected_dirs.hpp"

#include "bottle/os/file.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace sm = bottle::run::smolmachines;
using bottle::net::address_v4;

namespace {

bottle::smolvm::vm_record record_of(const std::string& json) {
    auto r = bottle::smolvm::vm_record::decode(json);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return *r;
}

}  // namespace

TEST(SmolvmReview, APreReleaseOrdersBeforeItsRelease) {
    const auto rc = sm::parse_version("smolvm 1.1.3-rc.1");
    ASSERT_TRUE(rc);
    EXPECT_TRUE(rc->prerelease);
    EXPECT_LT(*rc, sm::first_enforcing) << "a 1.1.3 pre-release may lack the fix";
    EXPECT_FALSE(sm::judge_version(rc, false).allowed);
    EXPECT_TRUE(sm::judge_version(sm::parse_version("smolvm 1.1.4-rc.1"), false).allowed);
    const auto beta = sm::parse_version("smolvm v1.8.0-beta (abc)");
    ASSERT_TRUE(beta);
    EXPECT_TRUE(sm::judge_version(beta, true).expect_dropped_allowlist) << "1.8.0-beta may still drop --allow-cidr with --from";
    // Build metadata and a following word are not pre-releases.
    EXPECT_FALSE(sm::parse_version("smolvm 1.9.2+abc")->prerelease);
    EXPECT_FALSE(sm::parse_version("smolvm 1.9.2 - built today")->prerelease);
    EXPECT_EQ(*sm::parse_version("smolvm 1.9.2"), (sm::smolvm_version{1, 9, 2}));
}

TEST(SmolvmReview, RecordMustCarryNoHostFilterNoTsiAndNotRunBeforeStart) {
    const std::string base = R"({"name":"m","network":true,"allowed_cidrs":["127.0.0.16/32"])";
    EXPECT_TRUE(sm::judge_record(record_of(base + R"(,"state":"created"})"), true));
    EXPECT_TRUE(sm::judge_record(record_of(base + R"(,"state":"running","network_backend":"virtio-net"})"), false));
    auto dns = sm::judge_record(record_of(base + R"(,"dns_filter_hosts":["evil.test"]})"), true);
    ASSERT_FALSE(dns);
    EXPECT_NE(dns.error().message.find("evil.test"), std::string::npos) << dns.error().message;
    EXPECT_FALSE(sm::judge_record(record_of(base + R"(,"dns_filter_hosts":["evil.test"]})"), false));
    auto tsi = sm::judge_record(record_of(base + R"(,"network_backend":"tsi"})"), false);
    ASSERT_FALSE(tsi);
    EXPECT_NE(tsi.error().message.find("tsi"), std::string::npos);
    EXPECT_FALSE(sm::judge_record(record_of(base + R"(,"network_backend":"something-new"})"), true)) << "unknown backends are refused";
    auto early = sm::judge_record(record_of(base + R"(,"state":"running"})"), true);
    ASSERT_FALSE(early);
    EXPECT_NE(early.error().message.find("already running"), std::string::npos);
}

TEST(SmolvmReview, AddressesWith32AreFoundInAnyText) {
    const auto got = sm::addresses_with_32(R"({"allowed_cidrs":["127.0.0.17/32","10.0.0.0/8","127.0.0.18/320"],"x":"127.0.0.19/32"})");
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0], address_v4(0x7f000011u));
    EXPECT_EQ(got[1], address_v4(0x7f000013u));
    EXPECT_TRUE(sm::addresses_with_32("no addresses, 1.2.3/32, 1.2.3.4.5/32").empty());
}

TEST(SmolvmReview, ARecordOurDecoderRefusesStillHoldsItsAlias) {
    bottle::test_support::temp_dir dir("smolvm-review");
    const std::string d = dir.path().string(), db = d + "/smolvm.db";
    // Duplicate keys (refused by bot-bottle's decoder; serde keeps the last)
    // and a TEXT record: smolvm may run either with 127.0.0.16/17 allowed.
    std::ofstream(d + "/s.sql")
        << "CREATE TABLE vms(name TEXT PRIMARY KEY NOT NULL, data BLOB NOT NULL);"
           "INSERT INTO vms VALUES('dup', CAST('{\"name\":\"dup\",\"allowed_cidrs\":[],\"allowed_cidrs\":[\"127.0.0.16/32\"]}' AS BLOB));"
           "INSERT INTO vms VALUES('text', '{\"name\":\"text\",\"allowed_cidrs\":[\"127.0.0.17/32\"]}');";
    ASSERT_EQ(std::system(("sqlite3 " + db + " < " + d + "/s.sql").c_str()), 0) << "needs the sqlite3 shell";
    sm::host_alias_source::config c;
    c.records_dir = sm::alias_records_dir(d);
    c.proc_files.clear();
    c.docker.clear();
    c.smolvm_db = db;
    auto src = sm::host_alias_source::open(c);
    ASSERT_TRUE(src);
    auto p = sm::host_pool::make(std::move(*src), bottle::net::flock_lock(sm::alias_lock_path(d)));
    ASSERT_TRUE(p);
    auto a = p->allocate("bb-new");
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(*a, address_v4(0x7f000012u)) << "127.0.0.16 and .17 are named by records smolvm may run";
}

TEST(SmolvmReview, GcSeesALaunchThatBeganSinceItListedTheLiveOnes) {
    bottle::test_support::temp_dir dir("smolvm-review");
    const std::string d = dir.path().string();
    EXPECT_FALSE(sm::launcher_still_running(d, "bb-x")) << "no record: not running";
    // A state record being written (empty, or without its pid yet): alive.
    ASSERT_TRUE(bottle::os::write_file(d + "/bb-x.json", "", 0600));
    EXPECT_TRUE(sm::launcher_still_running(d, "bb-x"));
    // A dead launcher (this test is not bottle-run; pid 1's cmdline neither).
    ASSERT_TRUE(bottle::os::write_file(d + "/bb-x.json", R"({"id":"bb-x","launcher_pid":1})", 0600));
    EXPECT_FALSE(sm::launcher_still_running(d, "bb-x"));
    // Without a state record, the stage directory's launcher.json counts.
    std::filesystem::remove(d + "/bb-x.json");
    std::filesystem::create_directories(d + "/bb-x.smolvm");
    ASSERT_TRUE(bottle::os::write_file(d + "/bb-x.smolvm/launcher.json", "{\"machine\":", 0600));
    EXPECT_TRUE(sm::launcher_still_running(d, "bb-x"));
    // gc's alias reclaim keeps the alias of such a launch, though not in `live`.
    {
        sm::host_alias_source::config c;
        c.records_dir = sm::alias_records_dir(d);
        c.proc_files.clear();
        c.docker.clear();
        auto src = sm::host_alias_source::open(c);
        auto p = sm::host_pool::make(std::move(*src), bottle::net::flock_lock(sm::alias_lock_path(d)));
        ASSERT_TRUE(p->allocate("bb-x"));
        ASSERT_TRUE(p->allocate("bb-gone"));
    }
    auto released = sm::reclaim_aliases(d, {});
    ASSERT_TRUE(released) << released.error().message;
    ASSERT_EQ(released->size(), 1u);
    EXPECT_EQ(released->front().holder, "bb-gone");
}

TEST(SmolvmReview, ProtectedDirsStayWhileAnotherLaunchSharesTheWorkspace) {
    bottle::test_support::temp_dir dir("smolvm-review");
    const std::string ws = dir.path().string();
    auto first = std::make_unique<bottle::run::created_protected_dirs>(ws);
    std::filesystem::create_directories(ws + "/.github/workflows");
    first->add(ws + "/.github");
    first->add(ws + "/.github/workflows");
    {
        bottle::run::created_protected_dirs second(ws);  // shares them, made none
        first.reset();                                    // the first ends while the second runs
        EXPECT_TRUE(std::filesystem::is_directory(ws + "/.github/workflows"))
            << "removed while another launch still shares it: its read-only mount would be detached";
    }
    // Alone, a launch removes what it made (if empty), deepest first.
    {
        bottle::run::created_protected_dirs alone(ws);
        alone.add(ws + "/.github");
        alone.add(ws + "/.github/workflows");
    }
    EXPECT_FALSE(std::filesystem::exists(ws + "/.github"));
    // Not empty: kept.
    std::filesystem::create_directories(ws + "/.claude");
    std::ofstream(ws + "/.claude/settings.json") << "{}";
    {
        bottle::run::created_protected_dirs alone(ws);
        alone.add(ws + "/.claude");
    }
    EXPECT_TRUE(std::filesystem::exists(ws + "/.claude/settings.json"));
}
