#include "bottle-audit/audit_cli.hpp"

#include "support/smolvm_fixture.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace bottle::audit;
using bottle::test_support::illustrative_record;

struct run_output {
    int code;
    std::string out, err;
};

class AuditCli : public ::testing::Test {
protected:
    void SetUp() override {
        bottle::test_support::create_smolvm_db(db);
        bottle::test_support::raw_connection c(db);
        c.put("pinned", illustrative_record("pinned", R"(["127.0.0.16/32"])"));
        std::ofstream(dir.path() / "clean.json") << R"({"bottles": {"dev": {"egress": [{"host": "api.anthropic.com", "ports": [443]}]}}})";
        std::ofstream(dir.path() / "open.json") << R"({"bottles": {"dev": {"egress": [{"host": "*.com"}, {"host": "a.example", "ports": [22]}]}}})";
        std::ofstream(dir.path() / "unknown.json") << R"({"bottles": {"dev": {"egres": []}}})";
    }
    void add(const std::string& name, const std::string& cidrs) {
        bottle::test_support::raw_connection c(db);
        c.put(name, illustrative_record(name, cidrs));
    }
    run_output run(std::vector<std::string> args, bool colour = false) {
        std::ostringstream out, err;
        const int code = run_audit(args, env, out, err, colour);
        return {code, out.str(), err.str()};
    }
    bottle::test_support::temp_dir dir;
    fs::path db = dir.path() / "smolvm.db";
    bottle::smolvm::env_lookup env = bottle::smolvm::env_from_map({{"HOME", (dir.path() / "home").string()}});
};

TEST_F(AuditCli, CleanDatabaseExitsZero) {
    auto r = run({"smolvm", "--db", db.string()});
    EXPECT_EQ(r.code, exit_clean) << r.out << r.err;
    EXPECT_TRUE(r.err.empty());
    EXPECT_NE(r.out.find("1 machines"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ok: nothing at or above high"), std::string::npos);
}

TEST_F(AuditCli, FindingAtThresholdExitsOneAndFailOnMovesTheThreshold) {
    add("open", "null");
    EXPECT_EQ(run({"smolvm", "--db", db.string()}).code, exit_findings);
    EXPECT_EQ(run({"smolvm", "--db=" + db.string(), "--fail-on", "critical"}).code, exit_findings);
    bottle::test_support::temp_dir d2;
    const auto db2 = d2.path() / "smolvm.db";
    bottle::test_support::create_smolvm_db(db2);
    bottle::test_support::raw_connection c(db2);
    c.put("wide", illustrative_record("wide", R"(["127.0.0.16/30"])"));
    EXPECT_EQ(run({"smolvm", "--db", db2.string()}).code, exit_findings) << "high by default";
    EXPECT_EQ(run({"--fail-on=critical", "smolvm", "--db", db2.string()}).code, exit_clean);
    c.put("off", R"({"name":"off","network":false})");
    EXPECT_EQ(run({"smolvm", "--db", db2.string(), "--fail-on", "critical"}).code, exit_clean);
    EXPECT_EQ(run({"smolvm", "--db", db2.string(), "--fail-on", "info"}).code, exit_findings);
}

TEST_F(AuditCli, PoolOptionChangesTheVerdict) {
    add("elsewhere", R"(["127.0.1.5/32"])");
    EXPECT_EQ(run({"smolvm", "--db", db.string()}).code, exit_findings);
    auto r = run({"smolvm", "--db", db.string(), "--pool", "127.0.1.0/24"});
    EXPECT_EQ(r.code, exit_findings) << "pinned's 127.0.0.16 is now outside the pool";
    EXPECT_NE(r.out.find("vm pinned: allowlist entry 127.0.0.16/32 is outside"), std::string::npos) << r.out;
    EXPECT_EQ(run({"smolvm", "--db", db.string(), "--pool", "127.0.0.0/23"}).code, exit_cannot_audit) << "holds 127.0.0.1";
}

TEST_F(AuditCli, DefaultDatabasePathComesFromTheEnvironment) {
    auto missing = run({"smolvm"});
    EXPECT_EQ(missing.code, exit_cannot_audit);
    const std::string expected = (dir.path() / "home" / ".local/share/smolvm/server/smolvm.db").string();
    EXPECT_NE(missing.err.find(expected), std::string::npos) << missing.err;
    EXPECT_NE(missing.err.find("--db"), std::string::npos) << "says what to do";
    EXPECT_TRUE(missing.out.empty());

    env = bottle::smolvm::env_from_map({{"SMOLVM_DATA_DIR", dir.path().string()}});
    fs::create_directories(dir.path() / ".local/share/smolvm/server");
    fs::copy_file(db, dir.path() / ".local/share/smolvm/server/smolvm.db");
    auto found = run({"smolvm"});
    EXPECT_EQ(found.code, exit_clean) << found.err;

    env = bottle::smolvm::env_from_map({});
    auto no_home = run({"smolvm"});
    EXPECT_EQ(no_home.code, exit_cannot_audit);
    EXPECT_NE(no_home.err.find("HOME"), std::string::npos);
}

TEST_F(AuditCli, UnreadableDatabaseExitsTwoNamingThePath) {
    const auto garbage = dir.path() / "garbage.db";
    std::ofstream(garbage) << std::string(8192, 'z');
    auto r = run({"smolvm", "--db", garbage.string()});
    EXPECT_EQ(r.code, exit_cannot_audit);
    EXPECT_NE(r.err.find(garbage.string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("readable"), std::string::npos) << "says what to do: " << r.err;
    EXPECT_TRUE(r.out.empty()) << "no report that could be mistaken for a clean one";
    EXPECT_EQ(run({"smolvm", "--db", dir.path().string()}).code, exit_cannot_audit);
    EXPECT_EQ(run({"smolvm", "--db", garbage.string(), "--json"}).code, exit_cannot_audit);
}

TEST_F(AuditCli, ManifestExitCodes) {
    auto clean = run({"manifest", (dir.path() / "clean.json").string()});
    EXPECT_EQ(clean.code, exit_clean) << clean.out << clean.err;
    EXPECT_NE(clean.out.find("1 bottles"), std::string::npos);
    auto open = run({"manifest", (dir.path() / "open.json").string()});
    EXPECT_EQ(open.code, exit_findings);
    EXPECT_NE(open.out.find("CRITICAL manifest.route_public_suffix_wildcard bottle dev"), std::string::npos) << open.out;
    auto bad = run({"manifest", (dir.path() / "unknown.json").string()});
    EXPECT_EQ(bad.code, exit_cannot_audit);
    EXPECT_NE(bad.err.find("unknown.json"), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("/bottles/dev/egres"), std::string::npos) << bad.err;
    EXPECT_EQ(run({"manifest", (dir.path() / "none.json").string()}).code, exit_cannot_audit);
    EXPECT_EQ(run({"manifest", dir.path().string()}).code, exit_cannot_audit) << "the directory holds the bad file too";
}

TEST_F(AuditCli, JsonGoesToStdoutAndParses) {
    add("open", "null");
    auto r = run({"smolvm", "--db", db.string(), "--json"});
    EXPECT_EQ(r.code, exit_findings);
    auto v = boost::json::parse(r.out);
    EXPECT_EQ(bottle::report::check_schema(v, "audit").value(), 1u);
    EXPECT_EQ(v.at("findings").as_array().size(), 1u);
    EXPECT_EQ(v.at("target").as_string(), db.string());
    EXPECT_EQ(v.at("subjects").to_number<int>(), 2);
    auto m = boost::json::parse(run({"manifest", (dir.path() / "open.json").string(), "--json", "--fail-on", "low"}).out);
    EXPECT_EQ(m.at("audit").as_string(), "manifest");
    EXPECT_EQ(m.at("fail_on").as_string(), "low");
    EXPECT_EQ(m.at("summary").at("low").to_number<int>(), 1);
}

TEST_F(AuditCli, JunitAndSarifFilesAreWrittenBesideTheText) {
    add("open", "null");
    const auto junit = dir.path() / "audit.xml";
    const auto sarif = dir.path() / "audit.sarif";
    auto r = run({"smolvm", "--db", db.string(), "--junit", junit.string(), "--sarif", sarif.string()});
    EXPECT_EQ(r.code, exit_findings);
    EXPECT_NE(r.out.find("CRITICAL"), std::string::npos);
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_file(junit.c_str()));
    EXPECT_EQ(doc.child("testsuites").attribute("tests").as_int(), 2);
    EXPECT_EQ(doc.child("testsuites").attribute("failures").as_int(), 1);
    auto log = boost::json::parse(bottle::test_support::file_bytes(sarif));
    EXPECT_EQ(log.at("version").as_string(), "2.1.0");
    EXPECT_EQ(log.at("runs").at(0).at("results").as_array().size(), 1u);

    auto unwritable = run({"smolvm", "--db", db.string(), "--junit", (dir.path() / "no/such/dir/a.xml").string()});
    EXPECT_EQ(unwritable.code, exit_cannot_audit);
    EXPECT_NE(unwritable.err.find("no/such/dir/a.xml"), std::string::npos) << unwritable.err;
}

TEST_F(AuditCli, HelpAndUsageErrors) {
    auto help = run({"--help"});
    EXPECT_EQ(help.code, exit_clean);
    EXPECT_NE(help.out.find("Examples:"), std::string::npos);
    EXPECT_NE(help.out.find("bottle-audit smolvm --fail-on medium"), std::string::npos);
    EXPECT_EQ(run({"manifest", "-h"}).code, exit_clean);
    for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
             {}, {"host"}, {"smolvm", "extra"}, {"manifest"}, {"manifest", "a", "b"}, {"smolvm", "--db"},
             {"smolvm", "--fail-on", "severe"}, {"smolvm", "--fail-on", "HIGH"}, {"smolvm", "--verbose"}, {"smolvm", "-v"},
             {"manifest", "x.json", "--db", "y"}, {"smolvm", "--db", "a", "--db", "b"}, {"smolvm", "--db="},
             {"smolvm", "--pool", "10.0.0.0/28"}, {"smolvm", "--junit", "f", "--sarif", "f"}}) {
        auto r = run(bad);
        std::string joined;
        for (const auto& a : bad) joined += a + " ";
        EXPECT_EQ(r.code, exit_cannot_audit) << joined;
        EXPECT_NE(r.err.find("usage: bottle-audit"), std::string::npos) << joined << r.err;
        EXPECT_TRUE(r.out.empty()) << joined;
    }
    EXPECT_NE(run({"smolvm", "--fail-on", "severe"}).err.find("critical"), std::string::npos) << "lists accepted values";
}

}  // namespace
