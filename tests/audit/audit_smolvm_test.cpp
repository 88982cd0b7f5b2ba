#include "bottle-audit/smolvm_audit.hpp"

#include "support/audit_findings.hpp"
#include "support/smolvm_fixture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using bottle::errc;
using bottle::failed_with;
using bottle::audit::audit_machines;
using bottle::audit::audit_outcome;
using bottle::audit::audit_smolvm_db;
using bottle::audit::parse_pool;
using bottle::report::finding;
using bottle::report::severity;
using bottle::smolvm::raw_row;
using bottle::test_support::illustrative_record;

const bottle::net::cidr& pool() {
    static const auto p = parse_pool("127.0.0.16/28").value();
    return p;
}

raw_row blob_row(const std::string& name, const std::string& data) {
    return raw_row{name, data, data.size(), true};
}

/// A minimal record: `extra` is appended JSON members (starting with ',').
raw_row machine(const std::string& name, bool network, const std::string& cidrs_json, const std::string& extra = "") {
    return blob_row(name, R"({"name":")" + name + R"(","state":"running","network":)" + (network ? "true" : "false") +
                              R"(,"allowed_cidrs":)" + cidrs_json + extra + "}");
}

using bottle::test_support::findings_of;

TEST(AuditPool, AcceptsLoopbackPoolsAndRefusesEverythingElse) {
    EXPECT_EQ(parse_pool("127.0.0.16/28").value().to_string(), "127.0.0.16/28");
    EXPECT_EQ(parse_pool("127.0.1.0/24").value().to_string(), "127.0.1.0/24");
    EXPECT_EQ(parse_pool("127.0.0.40").value().to_string(), "127.0.0.40/32");
    for (const char* bad : {"127.0.0.0/28", "127.0.0.0/8", "10.0.0.0/28", "::1/128", "127.0.0.17/28", "127.255.255.240/28",
                            "127.0.0.16/ 28", "", "127.1/32", "127.1.0.0/19"}) {
        auto r = parse_pool(bad);
        EXPECT_TRUE(r.has_error()) << bad;
        if (r) continue;
        EXPECT_NE(r.error().message.find("--pool"), std::string::npos) << r.error().message;
    }
    EXPECT_TRUE(parse_pool("127.1.0.0/20").has_value()) << "4096 addresses is the limit, included";
}

TEST(AuditSmolvm, PinnedMachineHasNoFinding) {
    std::vector<raw_row> rows{blob_row("agent1", illustrative_record("agent1", R"(["127.0.0.16/32"])")),
                              blob_row("agent2", illustrative_record("agent2", R"(["127.0.0.17/32"])"))};
    auto o = audit_machines(rows, pool(), "db");
    EXPECT_TRUE(o.findings.empty()) << o.findings.front().id;
    EXPECT_EQ(o.subjects, (std::vector<std::string>{"vm agent1", "vm agent2"}));
    EXPECT_EQ(o.kind, "smolvm");
    EXPECT_EQ(o.pool, "127.0.0.16/28");
}

TEST(AuditSmolvm, NetworkOnWithNullOrAbsentAllowlistIsCritical) {
    std::vector<raw_row> rows{machine("nul", true, "null"),
                              blob_row("absent", R"({"name":"absent","network":true})"),
                              machine("denyall", true, "[]")};
    auto o = audit_machines(rows, pool());
    auto crit = findings_of(o, "smolvm.unrestricted_egress");
    ASSERT_EQ(crit.size(), 2u);
    EXPECT_EQ(crit[0].severity, severity::critical);
    std::set<std::string> subjects{crit[0].subject, crit[1].subject};
    EXPECT_EQ(subjects, (std::set<std::string>{"vm nul", "vm absent"}));
    for (const auto& f : crit) {
        const auto& cidrs = f.evidence.as_object().at("allowed_cidrs");
        if (f.subject == "vm nul") EXPECT_TRUE(cidrs.is_null());
        else EXPECT_EQ(cidrs.as_string(), "absent");
        EXPECT_NE(f.remedy.find("--allow-cidr"), std::string::npos);
    }
    EXPECT_TRUE(findings_of(o, "", "vm denyall").empty()) << "[] is deny-all: nothing to report";
    EXPECT_EQ(o.findings.front().id, "smolvm.unrestricted_egress") << "sorted most severe first";
}

TEST(AuditSmolvm, NetworkOffIsInfoWhateverTheAllowlist) {
    std::vector<raw_row> rows{machine("off1", false, "null"), machine("off2", false, R"(["0.0.0.0/0"])"),
                              blob_row("off3", R"({"name":"off3"})")};
    auto o = audit_machines(rows, pool());
    ASSERT_EQ(o.findings.size(), 3u);
    for (const auto& f : o.findings) {
        EXPECT_EQ(f.id, "smolvm.network_off");
        EXPECT_EQ(f.severity, severity::info);
    }
}

TEST(AuditSmolvm, WideEntriesOutsidePoolAndBothAreHigh) {
    std::vector<raw_row> rows{machine("wide-in-pool", true, R"(["127.0.0.16/30"])"),
                              machine("outside", true, R"(["127.0.0.99/32"])"),
                              machine("both", true, R"(["10.0.0.0/8", "::/0"])")};
    auto o = audit_machines(rows, pool());
    auto wide = findings_of(o, "smolvm.allowlist_entry_too_wide");
    auto outside = findings_of(o, "smolvm.allowlist_entry_outside_pool");
    ASSERT_EQ(wide.size(), 3u);
    ASSERT_EQ(outside.size(), 3u);
    EXPECT_EQ(findings_of(o, "smolvm.allowlist_entry_too_wide", "vm wide-in-pool").size(), 1u);
    EXPECT_TRUE(findings_of(o, "smolvm.allowlist_entry_outside_pool", "vm wide-in-pool").empty());
    EXPECT_EQ(findings_of(o, "smolvm.allowlist_entry_outside_pool", "vm outside").size(), 1u);
    EXPECT_TRUE(findings_of(o, "smolvm.allowlist_entry_too_wide", "vm outside").empty());
    for (const auto& f : wide) EXPECT_EQ(f.severity, severity::high);
    auto v6 = findings_of(o, "smolvm.allowlist_entry_too_wide", "vm both");
    ASSERT_EQ(v6.size(), 2u);
    bool saw_v6 = false;
    for (const auto& f : v6)
        if (f.message.find("2^128") != std::string::npos) saw_v6 = true;
    EXPECT_TRUE(saw_v6) << "::/0 is described as 2^128 addresses";
    // Against another pool the same /32 is fine.
    auto other = audit_machines(std::vector<raw_row>{machine("outside", true, R"(["127.0.0.99/32"])")},
                                parse_pool("127.0.0.96/28").value());
    EXPECT_TRUE(other.findings.empty());
}

TEST(AuditSmolvm, EntriesSharedByTwoMachinesAreHighOnBoth) {
    std::vector<raw_row> rows{machine("a", true, R"(["127.0.0.20/32"])"), machine("b", true, R"(["127.0.0.20/32"])"),
                              machine("c", true, R"(["127.0.0.21/32", "127.0.0.21/32"])"),  // its own duplicate: not shared
                              machine("d", true, R"(["127.0.0.24/30"])"),                   // contains e's alias
                              machine("e", true, R"(["127.0.0.26/32"])"),
                              machine("off", false, R"(["127.0.0.21/32"])")};  // network off: holds no egress
    auto o = audit_machines(rows, pool());
    auto shared = findings_of(o, "smolvm.allowlist_entry_shared");
    std::set<std::string> who;
    for (const auto& f : shared) {
        who.insert(f.subject);
        EXPECT_EQ(f.severity, severity::high);
    }
    EXPECT_EQ(who, (std::set<std::string>{"vm a", "vm b", "vm d", "vm e"}));
    ASSERT_EQ(findings_of(o, "smolvm.allowlist_entry_shared", "vm a").size(), 1u);
    EXPECT_EQ(findings_of(o, "smolvm.allowlist_entry_shared", "vm a")[0].evidence.as_object().at("shared_with").as_string(), "b");
    EXPECT_EQ(findings_of(o, "smolvm.allowlist_entry_shared", "vm e")[0].evidence.as_object().at("shared_with").as_string(), "d");
}

/// The O(n log n) sweep against the obvious O(n^2) definition, on random
/// overlapping ranges (fixed seed, printed on failure).
TEST(AuditSmolvm, SharedSweepMatchesPairwiseDefinition) {
    for (unsigned seed = 1; seed <= 300; ++seed) {
        std::mt19937 rng(seed);
        const int n = 2 + static_cast<int>(rng() % 12);
        std::vector<raw_row> rows;
        std::vector<std::vector<bottle::net::cidr>> held(static_cast<std::size_t>(n));
        for (int m = 0; m < n; ++m) {
            std::string list = "[";
            const int k = 1 + static_cast<int>(rng() % 3);
            for (int j = 0; j < k; ++j) {
                const unsigned prefix = 27 + rng() % 6;  // /27 .. /32 inside 127.0.0.0/26
                const std::uint32_t base = 0x7f000000u + (rng() % 64);
                const std::uint32_t mask = prefix == 32 ? ~0u : ~((1u << (32 - prefix)) - 1);
                auto c = bottle::net::cidr::make(bottle::net::address_v4(base & mask), prefix).value();
                held[static_cast<std::size_t>(m)].push_back(c);
                list += (j ? ",\"" : "\"") + c.to_string() + "\"";
            }
            rows.push_back(machine("m" + std::to_string(m), true, list + "]"));
        }
        std::multiset<std::string> expected;
        for (int m = 0; m < n; ++m)
            for (const auto& c : held[static_cast<std::size_t>(m)]) {
                bool shared = false;
                for (int o2 = 0; o2 < n && !shared; ++o2)
                    if (o2 != m)
                        for (const auto& d : held[static_cast<std::size_t>(o2)]) shared = shared || c.overlaps(d);
                if (shared) expected.insert("vm m" + std::to_string(m) + " " + c.to_string());
            }
        std::multiset<std::string> got;
        auto o = audit_machines(rows, pool());
        for (const auto& f : findings_of(o, "smolvm.allowlist_entry_shared")) {
            got.insert(f.subject + " " + std::string(f.evidence.as_object().at("entry").as_string()));
            // the partner named really overlaps
            const auto partner = std::string(f.evidence.as_object().at("shared_with").as_string());
            const auto entry = bottle::net::cidr::parse(f.evidence.as_object().at("entry").as_string()).value();
            bool ok = false;
            for (const auto& d : held[std::stoul(partner.substr(1))]) ok = ok || d.overlaps(entry);
            EXPECT_TRUE(ok) << "seed " << seed << ": " << f.message;
        }
        ASSERT_EQ(got, expected) << "seed " << seed;
    }
}

TEST(AuditSmolvm, HostFilterWithoutCidrPolicyIsMediumBesidesTheCritical) {
    std::vector<raw_row> rows{machine("byname", true, "null", R"(,"dns_filter_hosts":["api.anthropic.com"])"),
                              machine("pinned", true, R"(["127.0.0.18/32"])", R"(,"dns_filter_hosts":["x.example"])")};
    auto o = audit_machines(rows, pool());
    auto f = findings_of(o, "smolvm.host_filter_without_cidr_policy");
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].subject, "vm byname");
    EXPECT_EQ(f[0].severity, severity::medium);
    EXPECT_EQ(findings_of(o, "smolvm.unrestricted_egress", "vm byname").size(), 1u);
    EXPECT_TRUE(findings_of(o, "", "vm pinned").empty());
}

TEST(AuditSmolvm, BackendWithPolicy) {
    std::vector<raw_row> rows{machine("tsi", true, R"(["127.0.0.16/32"])", R"(,"network_backend":"tsi")"),
                              machine("odd", true, R"(["127.0.0.17/32"])", R"(,"network_backend":"slirp9")"),
                              machine("virtio", true, R"(["127.0.0.18/32"])", R"(,"network_backend":"virtio-net")"),
                              machine("tsi-open", true, "null", R"(,"network_backend":"tsi")")};
    auto o = audit_machines(rows, pool());
    ASSERT_EQ(findings_of(o, "smolvm.policy_on_tsi").size(), 1u);
    EXPECT_EQ(findings_of(o, "smolvm.policy_on_tsi")[0].subject, "vm tsi");
    EXPECT_EQ(findings_of(o, "smolvm.policy_on_tsi")[0].severity, severity::high);
    ASSERT_EQ(findings_of(o, "smolvm.unknown_network_backend").size(), 1u);
    EXPECT_EQ(findings_of(o, "smolvm.unknown_network_backend")[0].subject, "vm odd");
    EXPECT_EQ(findings_of(o, "smolvm.unknown_network_backend")[0].severity, severity::medium);
    EXPECT_TRUE(findings_of(o, "", "vm virtio").empty());
    EXPECT_EQ(findings_of(o, "", "vm tsi-open").size(), 1u) << "without a policy only the unrestricted finding applies";
}

TEST(AuditSmolvm, MalformedRowsAreFindingsAndTheAuditGoesOn) {
    std::vector<raw_row> rows{blob_row("broken", "{not json"),
                              raw_row{"text", illustrative_record("text"), illustrative_record("text").size(), false},
                              blob_row("liar", illustrative_record("someone-else")),
                              machine("badtype", true, R"("127.0.0.16/32")"),
                              raw_row{"huge", "", 5u * 1024u * 1024u, true},
                              machine("after", true, "null")};
    auto o = audit_machines(rows, pool(), "/x/smolvm.db");
    EXPECT_EQ(o.subjects.size(), 6u);
    auto bad = findings_of(o, "smolvm.malformed_record");
    std::set<std::string> who;
    for (const auto& f : bad) {
        who.insert(f.subject);
        EXPECT_EQ(f.severity, severity::high);
        EXPECT_NE(f.remedy.find("/x/smolvm.db"), std::string::npos);
    }
    EXPECT_EQ(who, (std::set<std::string>{"vm broken", "vm text", "vm liar", "vm badtype", "vm huge"}));
    EXPECT_EQ(findings_of(o, "smolvm.unrestricted_egress", "vm after").size(), 1u) << "rows after bad ones are still judged";
    EXPECT_NE(findings_of(o, "", "vm text")[0].message.find("BLOB"), std::string::npos);
}

TEST(AuditSmolvm, InvalidEntryIsHighAndOthersStillJudged) {
    auto o = audit_machines(std::vector<raw_row>{machine("m", true, R"(["127.0.0.16/33", "010.0.0.1", "127.0.0.17/28", "127.0.0.19/32"])")},
                            pool());
    EXPECT_EQ(findings_of(o, "smolvm.allowlist_entry_invalid").size(), 3u) << "bad prefix, octal form, host bits set";
    EXPECT_TRUE(findings_of(o, "smolvm.allowlist_entry_outside_pool").empty());
    EXPECT_TRUE(findings_of(o, "smolvm.allowlist_entry_too_wide").empty());
}

TEST(AuditSmolvm, EveryEmittedIdIsInTheCatalogueWithItsSeverityOrAnother) {
    std::vector<raw_row> rows{machine("a", true, "null", R"(,"dns_filter_hosts":["h"])"), machine("b", false, "null"),
                              machine("c", true, R"(["10.0.0.0/8","x"])", R"(,"network_backend":"tsi")"),
                              machine("d", true, R"(["10.0.0.0/8"])", R"(,"network_backend":"q")"), blob_row("e", "[]")};
    auto o = audit_machines(rows, pool());
    EXPECT_GE(o.findings.size(), 9u);
    for (const auto& f : o.findings) EXPECT_TRUE(bottle::audit::find_rule(f.id).has_value()) << f.id;
}

TEST(AuditSmolvm, LargeInputsJudgedInParallelGiveTheSerialOutcomeInReportOrder) {
    std::vector<raw_row> rows;
    const int n = 20000;  // several worker chunks; shared aliases cross chunk boundaries
    for (int i = 0; i < n; ++i) {
        char name[16];
        std::snprintf(name, sizeof name, "m%05d", i);
        rows.push_back(i % 7 == 0 ? machine(name, true, "null")
                                  : machine(name, true, "[\"127.0.0." + std::to_string(16 + i % 16) + "/32\"]"));
    }
    auto o = audit_machines(rows, pool());
    ASSERT_EQ(o.subjects.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(findings_of(o, "smolvm.unrestricted_egress").size(), static_cast<std::size_t>((n + 6) / 7));
    EXPECT_EQ(findings_of(o, "smolvm.allowlist_entry_shared").size(), static_cast<std::size_t>(n - (n + 6) / 7));
    EXPECT_EQ(o.findings.size(), static_cast<std::size_t>(n));
    auto resorted = o.findings;
    bottle::report::sort_for_report(resorted);
    EXPECT_TRUE(resorted == o.findings) << "sort_findings gives report::sort_for_report's order";
    EXPECT_EQ(o.findings.front().subject, "vm m00000");
    EXPECT_EQ(o.findings.back().subject, "vm m19998") << "the last shared one (m19999 is unrestricted)";
}

TEST(AuditSmolvmDb, ReadsARealDatabase) {
    bottle::test_support::temp_dir dir;
    const auto path = dir.path() / "smolvm.db";
    bottle::test_support::create_smolvm_db(path);
    bottle::test_support::raw_connection c(path);
    c.put("agent1", illustrative_record("agent1", R"(["127.0.0.16/32"])"));
    c.put("agent2", illustrative_record("agent2", "null"));
    c.put("text", illustrative_record("text"), false);
    auto o = audit_smolvm_db(path, pool());
    ASSERT_TRUE(o.has_value()) << o.error().message;
    EXPECT_EQ(o->subjects, (std::vector<std::string>{"vm agent1", "vm agent2", "vm text"}));
    EXPECT_EQ(o->target, path.string());
    EXPECT_EQ(findings_of(*o, "smolvm.unrestricted_egress").size(), 1u);
    EXPECT_EQ(findings_of(*o, "smolvm.malformed_record").size(), 1u);
}

TEST(AuditSmolvmDb, EmptyDatabaseIsAnAuditOfNothing) {
    bottle::test_support::temp_dir dir;
    bottle::test_support::create_smolvm_db(dir.path() / "smolvm.db");
    auto o = audit_smolvm_db(dir.path() / "smolvm.db", pool());
    ASSERT_TRUE(o.has_value());
    EXPECT_TRUE(o->subjects.empty());
    EXPECT_TRUE(o->findings.empty());
}

TEST(AuditSmolvmDb, UnreadableInputsAreErrorsNamingThePath) {
    bottle::test_support::temp_dir dir;
    const auto missing = dir.path() / "nope.db";
    auto r = audit_smolvm_db(missing, pool());
    ASSERT_TRUE(failed_with(r, errc::not_found));
    EXPECT_NE(r.error().message.find(missing.string()), std::string::npos);
    EXPECT_FALSE(fs::exists(missing)) << "never created";

    const auto garbage = dir.path() / "garbage.db";
    { std::ofstream(garbage) << std::string(4096, 'x'); }
    auto g = audit_smolvm_db(garbage, pool());
    ASSERT_TRUE(failed_with(g, errc::database_error)) << (g ? "audited" : g.error().message);
    EXPECT_NE(g.error().message.find(garbage.string()), std::string::npos);

    const auto no_table = dir.path() / "other.db";
    { bottle::test_support::raw_connection c(no_table, true); c.must("CREATE TABLE t(x)"); }
    EXPECT_TRUE(failed_with(audit_smolvm_db(no_table, pool()), errc::database_error));

    EXPECT_TRUE(audit_smolvm_db(dir.path(), pool()).has_error()) << "a directory is not a database";
}

}  // namespace
