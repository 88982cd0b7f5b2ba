#include "bottle-audit/audit_output.hpp"

#include "bottle-audit/sarif_output.hpp"

#include "bottle/report/json_writer.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <set>
#include <sstream>
#include <string>

namespace {

using bottle::audit::audit_outcome;
using bottle::report::finding;
using bottle::report::severity;

audit_outcome sample() {
    audit_outcome o;
    o.kind = "smolvm";
    o.target = "/tmp/x/smolvm.db";
    o.pool = "127.0.0.16/28";
    o.subjects = {"vm open", "vm clean", "vm off", "vm weird\x1b[2J"};
    o.findings = {
        {"smolvm.unrestricted_egress", severity::critical, "vm open", "network on, allowlist null", "pin it",
         boost::json::object{{"allowed_cidrs", nullptr}}},
        {"smolvm.host_filter_without_cidr_policy", severity::medium, "vm open", "names only", "add cidrs", nullptr},
        {"smolvm.network_off", severity::info, "vm off", "no egress", "", nullptr},
        {"smolvm.malformed_record", severity::high, "vm weird\x1b[2J", "bad <record> & \"quotes\"", "recreate", "ev"},
    };
    bottle::report::sort_for_report(o.findings);
    return o;
}

TEST(AuditText, HeaderFindingsAndVerdictWithoutColour) {
    std::ostringstream out;
    bottle::audit::write_text(out, sample(), severity::high, {false});
    const std::string s = out.str();
    EXPECT_EQ(s.rfind("bottle-audit: smolvm database /tmp/x/smolvm.db: 4 machines, loopback pool 127.0.0.16/28\n", 0), 0u) << s;
    EXPECT_NE(s.find("CRITICAL smolvm.unrestricted_egress vm open: network on, allowlist null"), std::string::npos);
    EXPECT_NE(s.find("  remedy: pin it"), std::string::npos);
    EXPECT_NE(s.find("1 critical, 1 high, 1 medium, 0 low, 1 info; FAIL: 2 findings at or above high\n"), std::string::npos) << s;
    EXPECT_EQ(s.find('\x1b'), std::string::npos) << "no colour and the subject's escape is shown as \\x1b";
    EXPECT_NE(s.find("vm weird\\x1b[2J"), std::string::npos);
    EXPECT_LT(s.find("CRITICAL"), s.find("HIGH"));
    EXPECT_LT(s.find("HIGH"), s.find("MEDIUM"));
}

TEST(AuditText, VerdictFollowsThresholdAndColourOnlyWhenAsked) {
    std::ostringstream ok, colour;
    bottle::audit::write_text(ok, sample(), severity::critical, {false});
    EXPECT_NE(ok.str().find("FAIL: 1 finding at or above critical"), std::string::npos);
    audit_outcome clean = sample();
    clean.findings.clear();
    std::ostringstream c;
    bottle::audit::write_text(c, clean, severity::info, {false});
    EXPECT_NE(c.str().find("0 critical, 0 high, 0 medium, 0 low, 0 info; ok: nothing at or above info"), std::string::npos);
    bottle::audit::write_text(colour, sample(), severity::high, {true});
    EXPECT_NE(colour.str().find("\x1b[1;31mCRITICAL\x1b[0m"), std::string::npos);
}

TEST(AuditJson, DocumentHasTheVersionedStructure) {
    const auto doc = bottle::audit::audit_document(sample(), severity::high);
    // Round trip through text, as a consumer would see it.
    const auto v = boost::json::parse(bottle::report::to_pretty_json(doc));
    ASSERT_EQ(bottle::report::check_schema(v, "audit").value(), 1u);
    const auto& o = v.as_object();
    const std::vector<std::string> keys{"schema", "tool", "version", "audit", "target", "pool", "fail_on", "ok",
                                        "subjects", "summary", "findings"};
    std::vector<std::string> got;
    for (const auto& kv : o) got.emplace_back(kv.key());
    EXPECT_EQ(got, keys);
    EXPECT_EQ(o.at("tool").as_string(), "bottle-audit");
    EXPECT_EQ(o.at("audit").as_string(), "smolvm");
    EXPECT_EQ(o.at("fail_on").as_string(), "high");
    EXPECT_FALSE(o.at("ok").as_bool());
    EXPECT_EQ(o.at("subjects").to_number<int>(), 4);
    const auto& sum = o.at("summary").as_object();
    EXPECT_EQ(sum.at("critical").to_number<int>(), 1);
    EXPECT_EQ(sum.at("high").to_number<int>(), 1);
    EXPECT_EQ(sum.at("medium").to_number<int>(), 1);
    EXPECT_EQ(sum.at("low").to_number<int>(), 0);
    EXPECT_EQ(sum.at("info").to_number<int>(), 1);
    const auto& fs = o.at("findings").as_array();
    ASSERT_EQ(fs.size(), 4u);
    for (const auto& f : fs) {
        const auto& fo = f.as_object();
        EXPECT_EQ(fo.size(), 6u);
        for (const char* k : {"id", "severity", "subject", "message", "remedy"}) EXPECT_TRUE(fo.at(k).is_string()) << k;
        EXPECT_TRUE(fo.contains("evidence"));
        EXPECT_TRUE(bottle::report::parse_severity(fo.at("severity").as_string()).has_value());
    }
    EXPECT_EQ(fs[0].as_object().at("severity").as_string(), "critical");
    EXPECT_TRUE(fs[0].as_object().at("evidence").as_object().at("allowed_cidrs").is_null());
    audit_outcome below = sample();
    below.findings.erase(below.findings.begin());  // drop the critical one
    EXPECT_TRUE(bottle::audit::audit_document(below, severity::critical).at("ok").as_bool());
    EXPECT_FALSE(bottle::audit::audit_document(below, severity::high).at("ok").as_bool());
    audit_outcome m = sample();
    m.kind = "manifest";
    m.pool.clear();
    EXPECT_FALSE(bottle::audit::audit_document(m, severity::high).contains("pool"));
}

TEST(AuditJunit, ParsesBackWithOneCasePerSubject) {
    auto xml = bottle::report::to_junit_xml(bottle::audit::audit_junit(sample(), severity::high));
    ASSERT_TRUE(xml.has_value());
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(xml->c_str())) << *xml;
    auto root = doc.child("testsuites");
    EXPECT_STREQ(root.attribute("name").value(), "bottle-audit");
    EXPECT_EQ(root.attribute("tests").as_int(), 4);
    EXPECT_EQ(root.attribute("failures").as_int(), 2);
    auto suite = root.child("testsuite");
    EXPECT_STREQ(suite.attribute("name").value(), "smolvm");
    std::set<std::string> failed, passed;
    for (auto tc : suite.children("testcase")) {
        EXPECT_STREQ(tc.attribute("classname").value(), "audit.smolvm");
        if (auto f = tc.child("failure")) {
            failed.insert(tc.attribute("name").value());
            if (std::string(tc.attribute("name").value()) == "vm open") {
                EXPECT_NE(std::string(f.attribute("message").value()).find("smolvm.unrestricted_egress (critical)"), std::string::npos);
                EXPECT_NE(std::string(f.text().get()).find("medium smolvm.host_filter_without_cidr_policy"), std::string::npos)
                    << "findings below the threshold are in the detail too";
            } else {
                EXPECT_NE(std::string(f.text().get()).find("bad <record> & \"quotes\""), std::string::npos) << "escaped and read back";
            }
        } else {
            passed.insert(tc.attribute("name").value());
        }
    }
    EXPECT_EQ(failed, (std::set<std::string>{"vm open", "vm weird\\x1b[2J"}));
    EXPECT_EQ(passed, (std::set<std::string>{"vm clean", "vm off"}));
    auto off = suite.find_child_by_attribute("testcase", "name", "vm off");
    EXPECT_NE(std::string(off.child("system-out").text().get()).find("smolvm.network_off"), std::string::npos);
}

TEST(AuditJunit, ThresholdDecidesFailuresAndAnEmptyAuditStillHasACase) {
    auto r = bottle::audit::audit_junit(sample(), severity::info);
    EXPECT_EQ(r.totals().failures, 3u);
    audit_outcome empty;
    empty.kind = "manifest";
    auto e = bottle::audit::audit_junit(empty, severity::high);
    EXPECT_EQ(e.totals().tests, 1u);
    EXPECT_EQ(e.totals().failures, 0u);
    audit_outcome stray = sample();
    stray.findings.push_back({"smolvm.network_off", severity::high, "vm unlisted", "m", "", nullptr});
    EXPECT_EQ(bottle::audit::audit_junit(stray, severity::high).totals().tests, 5u) << "no finding is dropped";
}

TEST(AuditSarif, MinimalTwoOneLog) {
    const auto log = boost::json::parse(bottle::report::to_pretty_json(bottle::audit::audit_sarif(sample()))).as_object();
    EXPECT_EQ(log.at("version").as_string(), "2.1.0");
    EXPECT_NE(std::string(log.at("$schema").as_string()).find("sarif-2.1.0"), std::string::npos);
    const auto& runs = log.at("runs").as_array();
    ASSERT_EQ(runs.size(), 1u);
    const auto& driver = runs[0].at("tool").at("driver").as_object();
    EXPECT_EQ(driver.at("name").as_string(), "bottle-audit");
    const auto& rules = driver.at("rules").as_array();
    EXPECT_EQ(rules.size(), bottle::audit::audit_rules.size());
    const auto& results = runs[0].at("results").as_array();
    ASSERT_EQ(results.size(), 4u);
    std::set<std::string> levels;
    for (const auto& r : results) {
        const auto& ro = r.as_object();
        const auto idx = ro.at("ruleIndex").to_number<std::size_t>();
        EXPECT_EQ(rules[idx].at("id"), ro.at("ruleId")) << "ruleIndex points at the rule";
        levels.insert(std::string(ro.at("level").as_string()));
        EXPECT_TRUE(ro.at("message").at("text").is_string());
        const auto& loc = ro.at("locations").as_array().at(0).as_object();
        EXPECT_EQ(loc.at("physicalLocation").at("artifactLocation").at("uri").as_string(), "/tmp/x/smolvm.db");
    }
    EXPECT_EQ(levels, (std::set<std::string>{"error", "warning", "note"}));
    EXPECT_EQ(results[0].at("level").as_string(), "error");
    EXPECT_EQ(bottle::audit::sarif_level(severity::info), "note");
}

TEST(AuditSarif, ManifestFindingsPointAtTheirFile) {
    audit_outcome o;
    o.kind = "manifest";
    o.target = "dir";
    o.subjects = {"bottle dev"};
    o.findings = {{"manifest.route_matches_everything", severity::critical, "bottle dev", "m", "r",
                   boost::json::object{{"file", "dir/my base.json"}, {"pointer", "/bottles/base/egress/0"}}}};
    const auto log = bottle::audit::audit_sarif(o);
    const auto& loc = log.at("runs").at(0).at("results").at(0).at("locations").at(0);
    EXPECT_EQ(loc.at("physicalLocation").at("artifactLocation").at("uri").as_string(), "dir/my%20base.json");
    EXPECT_EQ(loc.at("logicalLocations").at(0).at("fullyQualifiedName").as_string(), "/bottles/base/egress/0");
}

}  // namespace
