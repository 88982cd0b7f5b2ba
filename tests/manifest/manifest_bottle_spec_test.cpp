#include "bottle/manifest/bottle_spec.hpp"

#include "bottle/manifest/parse.hpp"

#include <boost/json/parse.hpp>
#include "support/test_data.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

namespace bm = bottle::manifest;
using bottle::errc;
using bottle::failed_with;


TEST(ManifestBottleSpec, TypedViewOfTheResolvedBottle) {
    auto m = bm::load_manifest(bottle::test::data_dir("manifest") + "/realistic.json");
    ASSERT_TRUE(m.has_value()) << m.error().describe();
    auto r = bm::resolve_bottle(*m, "dev");
    ASSERT_TRUE(r.has_value());
    auto s = bm::to_spec(*r);
    ASSERT_TRUE(s.has_value()) << s.error().describe();
    EXPECT_EQ(s->name, "dev");
    EXPECT_EQ(bm::format_lineage(s->lineage), "base -> node -> dev");
    ASSERT_EQ(s->egress.size(), 3u);
    EXPECT_EQ(s->egress[0].host, "api.anthropic.com");
    EXPECT_EQ(s->egress[0].ports, (std::vector<std::uint16_t>{443, 8443}));
    EXPECT_EQ(s->egress[1].host, "packages.example.com");
    EXPECT_EQ(s->egress[2].host, "*.githubusercontent.com");
    EXPECT_TRUE(s->egress[2].ports.empty());
    EXPECT_EQ(s->env, (std::map<std::string, std::string>{{"LANG", "C.UTF-8"}, {"NODE_ENV", "development"}}));
    ASSERT_EQ(s->mounts.size(), 1u);
    EXPECT_EQ(s->mounts[0].guest, "/workspace");
    EXPECT_TRUE(s->mounts[0].read_write);
    EXPECT_EQ(s->resources.cpus, 2u);
    EXPECT_EQ(s->resources.memory_mib, 4096u);
    EXPECT_EQ(s->resources.pids, 512u);
    ASSERT_EQ(s->repos.count("app"), 1u);
    EXPECT_EQ(s->repos.at("app").key_provider, "static");
    EXPECT_EQ(s->repos.at("app").key_path, "~/.ssh/app_deploy");
    EXPECT_EQ(s->supervise, true);
    EXPECT_EQ(s->backend, bm::backend_kind::native);
    EXPECT_EQ(s->canonical, bm::canonical_json(r->value).value());
}

TEST(ManifestBottleSpec, AbsentKeysStayAbsent) {
    bm::resolved_bottle r{"empty", {"empty"}, {}};
    auto s = bm::to_spec(r);
    ASSERT_TRUE(s.has_value());
    EXPECT_TRUE(s->egress.empty());
    EXPECT_FALSE(s->supervise.has_value());
    EXPECT_FALSE(s->backend.has_value());
    EXPECT_FALSE(s->resources.cpus.has_value());
    EXPECT_EQ(s->canonical, "{}");
}

TEST(ManifestBottleSpec, DiskSizeIsAResource) {
    bm::resolved_bottle r{"d", {"d"}, boost::json::parse(R"({"resources": {"disk_mib": 64}})").as_object()};
    auto s = bm::to_spec(r);
    ASSERT_TRUE(s.has_value()) << s.error().describe();
    EXPECT_EQ(s->resources.disk_mib, 64u);
    for (const char* bad : {R"({"resources": {"disk_mib": 0}})", R"({"resources": {"disk_mib": "1G"}})", R"({"resources": {"disk": 1}})"}) {
        bm::resolved_bottle b{"d", {"d"}, boost::json::parse(bad).as_object()};
        EXPECT_FALSE(bm::to_spec(b).has_value()) << bad;
    }
}

TEST(ManifestBottleSpec, HandBuiltInvalidValueIsRejectedNotHalfConverted) {
    bm::resolved_bottle r{"x", {"x"}, boost::json::parse(R"({"egress": [{"host": "a", "ports": [0]}]})").as_object()};
    auto s = bm::to_spec(r);
    ASSERT_TRUE(failed_with(s, errc::parse_error));
    EXPECT_EQ(s.error().message, "bottle x: /egress/0/ports/0: expected a port number 1..65535");
    r.value = boost::json::parse(R"({"env": {"A": null}})").as_object();
    EXPECT_TRUE(bm::to_spec(r).has_error());
}

}  // namespace
