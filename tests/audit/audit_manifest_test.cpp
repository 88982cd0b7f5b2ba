#include "bottle-audit/manifest_audit.hpp"

#include "support/audit_findings.hpp"
#include "support/smolvm_fixture.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace {

using bottle::audit::audit_manifest_path;
using bottle::audit::audit_outcome;
using bottle::audit::judge_route;
using bottle::report::finding;
using bottle::report::severity;

std::vector<finding> route(const std::string& host, std::vector<std::uint16_t> ports = {}) {
    return judge_route(host, ports, "bottle t", boost::json::object{{"file", "f.json"}, {"pointer", "/bottles/t/egress/0"}});
}

std::set<std::string> ids(const std::vector<finding>& fs) {
    std::set<std::string> out;
    for (const auto& f : fs) out.insert(f.id);
    return out;
}

using bottle::test_support::findings_of;

TEST(AuditRoute, OrdinaryHostsAndWebPortsAreClean) {
    for (const char* h : {"api.anthropic.com", "packages.example.com", "*.anthropic.com", "raw.githubusercontent.com",
                          "*.example.co", "API.Anthropic.COM."})
        EXPECT_TRUE(route(h).empty()) << h;
    EXPECT_TRUE(route("api.anthropic.com", {443, 80}).empty());
}

TEST(AuditRoute, MatchesEverythingIsCritical) {
    for (const char* h : {"*", "*."}) {
        auto f = route(h);
        ASSERT_EQ(ids(f), (std::set<std::string>{"manifest.route_matches_everything"})) << h;
        EXPECT_EQ(f[0].severity, severity::critical);
        EXPECT_EQ(f[0].subject, "bottle t");
        EXPECT_EQ(f[0].evidence.as_object().at("file").as_string(), "f.json");
        EXPECT_EQ(f[0].evidence.as_object().at("host").as_string(), h);
    }
}

TEST(AuditRoute, PublicSuffixWildcardsAreCritical) {
    for (const char* h : {"*.com", "*.io", "*.CO.UK", "*.com.au", "*.org."}) {
        auto f = route(h);
        ASSERT_EQ(ids(f), (std::set<std::string>{"manifest.route_public_suffix_wildcard"})) << h;
        EXPECT_EQ(f[0].severity, severity::critical);
    }
}

TEST(AuditRoute, SharedHostingWildcardsAreHigh) {
    for (const char* h : {"*.githubusercontent.com", "*.amazonaws.com", "*.s3.amazonaws.com", "*.cloudfront.net",
                          "*.herokuapp.com", "*.vercel.app", "*.netlify.app", "*.azurewebsites.net", "*.appspot.com",
                          "*.pages.dev", "*.workers.dev", "*.core.windows.net", "*.googleapis.com"}) {
        auto f = route(h);
        ASSERT_EQ(ids(f), (std::set<std::string>{"manifest.route_shared_hosting_wildcard"})) << h;
        EXPECT_EQ(f[0].severity, severity::high);
    }
    EXPECT_TRUE(route("myapp.herokuapp.com").empty()) << "an exact host on a shared domain names one tenant";
    EXPECT_TRUE(route("*.notherokuapp.com").empty()) << "label boundary respected";
}

TEST(AuditRoute, MalformedWildcardsAreMedium) {
    for (const char* h : {"api*.example.com", "a.*.example.com", "*example.com", "*.*.example.com", "example.*"}) {
        auto f = route(h);
        ASSERT_EQ(ids(f), (std::set<std::string>{"manifest.route_malformed_wildcard"})) << h;
        EXPECT_EQ(f[0].severity, severity::medium);
    }
}

TEST(AuditRoute, IpLiteralsAreMediumWhenGlobalHighOtherwise) {
    auto global = route("203.0.114.7");
    ASSERT_EQ(ids(global), (std::set<std::string>{"manifest.route_ip_literal"}));
    EXPECT_EQ(global[0].severity, severity::medium);
    for (const char* h : {"127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "[fd00::1]", "100.64.0.1", "[::ffff:10.0.0.1]"}) {
        auto f = route(h);
        ASSERT_EQ(ids(f), (std::set<std::string>{"manifest.route_ip_literal"})) << h;
        EXPECT_EQ(f[0].severity, severity::high) << h;
    }
    EXPECT_EQ(route("2606:4700::1111")[0].severity, severity::medium);
    EXPECT_EQ(route("203.0.113.7")[0].severity, severity::medium) << "documentation addresses pass the deny floor";
    EXPECT_EQ(route("198.18.0.1")[0].severity, severity::high) << "the floor refuses 198.18/15";
    EXPECT_EQ(route("[2002:7f00:1::]")[0].severity, severity::high) << "6to4 of 127.0.0.1";
}

TEST(AuditRoute, NumericHostsThatAreNotStrictAddressesAreHigh) {
    for (const char* h : {"2130706433", "127.1", "010.0.0.1", "0x7f.1", "0x7f000001", "fe80::1%eth0", "1.2.3.4.5"}) {
        auto f = route(h);
        ASSERT_EQ(ids(f), (std::set<std::string>{"manifest.route_numeric_host"})) << h;
        EXPECT_EQ(f[0].severity, severity::high);
    }
    EXPECT_TRUE(route("1password.com").empty());
    EXPECT_TRUE(route("0xdeadbeef.example").empty());
}

TEST(AuditRoute, RoutesTheProxyRefusesAreHigh) {
    for (const char* h : {"localhost", "co.uk", "github.io", "exa_mple.com", "b\xc3\xbc" "cher.de", "*.a..b"}) {
        auto f = route(h);
        ASSERT_EQ(ids(f), (std::set<std::string>{"manifest.route_refused_by_proxy"})) << h;
        EXPECT_EQ(f[0].severity, severity::high);
        EXPECT_NE(f[0].message.find("refused by the egress proxy"), std::string::npos) << f[0].message;
        EXPECT_TRUE(bottle::audit::find_rule(f[0].id).has_value());
    }
    EXPECT_NE(route("*.github.io")[0].message.find("bottle-egress refuses it"), std::string::npos)
        << "a shared hosting wildcard says the proxy will not load it";
}

TEST(AuditRoute, UnusualPortsAreLowAndListed) {
    auto f = route("api.example.com", {443, 22, 8443});
    ASSERT_EQ(ids(f), (std::set<std::string>{"manifest.route_unusual_port"}));
    EXPECT_EQ(f[0].severity, severity::low);
    EXPECT_NE(f[0].message.find("22, 8443"), std::string::npos) << f[0].message;
    auto both = route("*", {25});
    EXPECT_EQ(ids(both), (std::set<std::string>{"manifest.route_matches_everything", "manifest.route_unusual_port"}));
}

class ManifestFiles : public ::testing::Test {
protected:
    void write(const std::string& name, const std::string& text) {
        std::ofstream(dir.path() / name) << text;
    }
    bottle::test_support::temp_dir dir;
};

TEST_F(ManifestFiles, ResolvedBottlesAreJudgedAndEvidenceNamesTheDefiningFile) {
    write("10-base.json", R"({"bottles": {"base": {"egress": [{"host": "*"}, {"host": "api.anthropic.com", "ports": [443]}]}}})");
    write("20-dev.json", R"({"bottles": {
        "dev": {"extends": "base", "egress": [{"host": "api.anthropic.com", "ports": [443, 8443]}]},
        "empty": {},
        "narrow": {"egress": [{"host": "api.anthropic.com"}]}}})");
    auto o = audit_manifest_path(dir.path());
    ASSERT_TRUE(o.has_value()) << o.error().message;
    EXPECT_EQ(o->kind, "manifest");
    EXPECT_EQ(o->subjects, (std::vector<std::string>{"bottle base", "bottle dev", "bottle empty", "bottle narrow"}));
    auto all = findings_of(*o, "manifest.route_matches_everything");
    ASSERT_EQ(all.size(), 2u) << "base and dev (inherited) both allow *";
    for (const auto& f : all) {
        EXPECT_NE(std::string(f.evidence.as_object().at("file").as_string()).find("10-base.json"), std::string::npos);
        EXPECT_EQ(f.evidence.as_object().at("pointer").as_string(), "/bottles/base/egress/0");
    }
    auto port = findings_of(*o, "manifest.route_unusual_port");
    ASSERT_EQ(port.size(), 1u);
    EXPECT_EQ(port[0].subject, "bottle dev");
    EXPECT_NE(std::string(port[0].evidence.as_object().at("file").as_string()).find("20-dev.json"), std::string::npos)
        << "the child's entry replaced the parent's";
    EXPECT_EQ(port[0].evidence.as_object().at("lineage").as_string(), "base -> dev");
    auto none = findings_of(*o, "manifest.bottle_no_egress");
    ASSERT_EQ(none.size(), 1u);
    EXPECT_EQ(none[0].subject, "bottle empty");
    EXPECT_TRUE(findings_of(*o, "", "bottle narrow").empty());
    EXPECT_EQ(o->findings.front().severity, severity::critical);
}

TEST_F(ManifestFiles, EgressDeletedByNullIsNoEgress) {
    write("m.json", R"({"bottles": {"base": {"egress": [{"host": "a.example"}]}, "locked": {"extends": "base", "egress": null}}})");
    auto o = audit_manifest_path(dir.path() / "m.json");
    ASSERT_TRUE(o.has_value()) << o.error().message;
    EXPECT_EQ(findings_of(*o, "manifest.bottle_no_egress").size(), 1u);
    EXPECT_EQ(findings_of(*o, "manifest.bottle_no_egress")[0].subject, "bottle locked");
}

TEST_F(ManifestFiles, AGitGateRepoWithoutAPinnedHostKeyIsWarned) {
    write("m.json", R"({"bottles": {"dev": {"egress": [{"host": "api.anthropic.com", "ports": [443]}], "git-gate": {"repos": {
        "pinned": {"url": "ssh://git@github.com/me/a.git", "key": {"provider": "static", "path": "~/.ssh/a"}, "host_key": "ssh-ed25519 AAAA"},
        "open": {"url": "ssh://git@forge.example/me/b.git", "key": {"provider": "gitea", "forge_token_env": "GITEA_TOKEN"}}}}}}})");
    auto o = audit_manifest_path(dir.path() / "m.json");
    ASSERT_TRUE(o.has_value()) << o.error().message;
    auto unpinned = findings_of(*o, "manifest.git_gate_host_key_unpinned");
    ASSERT_EQ(unpinned.size(), 1u);
    EXPECT_EQ(unpinned[0].subject, "bottle dev");
    EXPECT_EQ(unpinned[0].severity, severity::medium);
    EXPECT_NE(unpinned[0].message.find("\"open\""), std::string::npos) << unpinned[0].message;
    EXPECT_EQ(unpinned[0].evidence.as_object().at("pointer").as_string(), "/bottles/dev/git-gate/repos/open");
    EXPECT_EQ(o->findings.size(), 1u) << "the pinned repo is not reported";
}

TEST_F(ManifestFiles, TheRealisticExampleHasOnlyTheDocumentedFindings) {
    auto o = audit_manifest_path(std::string(BOTTLE_SOURCE_DIR) + "/tests/manifest/data/realistic.json");
    ASSERT_TRUE(o.has_value()) << o.error().message;
    EXPECT_EQ(ids(o->findings), (std::set<std::string>{"manifest.route_shared_hosting_wildcard", "manifest.route_unusual_port",
                                                        "manifest.bottle_no_egress"}));
    EXPECT_EQ(findings_of(*o, "manifest.bottle_no_egress")[0].subject, "bottle gpu");
}

TEST_F(ManifestFiles, LoaderErrorsNameFileAndPointer) {
    write("bad.json", R"({"bottles": {"dev": {"egress": [{"hots": "x.example"}]}}})");
    auto r = audit_manifest_path(dir.path() / "bad.json");
    ASSERT_TRUE(r.has_error());
    EXPECT_NE(r.error().message.find("bad.json"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("/bottles/dev/egress/0"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("hots"), std::string::npos);

    EXPECT_TRUE(audit_manifest_path(dir.path() / "missing.json").has_error());
    write("notes.txt", "hello");
    bottle::test_support::temp_dir empty;
    EXPECT_TRUE(audit_manifest_path(empty.path()).has_error()) << "a directory without *.json is not an empty manifest";
}

}  // namespace
