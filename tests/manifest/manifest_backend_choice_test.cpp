#include "bottle/manifest/backend_choice.hpp"

#include <gtest/gtest.h>

namespace {

namespace bm = bottle::manifest;
using bottle::errc;
using bottle::failed_with;
using bm::backend_kind;
using bm::backend_source;

TEST(ManifestBackendChoice, FlagWinsOverEnvironmentWhichWinsOverTheBottle) {
    auto all = bm::choose_backend("smolmachines", "docker", "native");
    ASSERT_TRUE(all.has_value());
    EXPECT_EQ(all->backend, backend_kind::smolmachines);
    EXPECT_EQ(all->source, backend_source::flag);
    auto env = bm::choose_backend(std::nullopt, "docker", "smolmachines");
    ASSERT_TRUE(env.has_value());
    EXPECT_EQ(env->backend, backend_kind::docker);
    EXPECT_EQ(env->source, backend_source::environment);
    auto bottle = bm::choose_backend(std::nullopt, std::nullopt, "smolmachines");
    ASSERT_TRUE(bottle.has_value());
    EXPECT_EQ(bottle->backend, backend_kind::smolmachines);
    EXPECT_EQ(bottle->source, backend_source::bottle);
    auto none = bm::choose_backend(std::nullopt, std::nullopt);
    ASSERT_TRUE(none.has_value());
    EXPECT_EQ(none->backend, backend_kind::native);
    EXPECT_EQ(none->source, backend_source::fallback);
}

TEST(ManifestBackendChoice, EmptyValuesAreUnset) {
    auto r = bm::choose_backend("", "", "docker");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->backend, backend_kind::docker);
    EXPECT_EQ(r->source, backend_source::bottle);
}

TEST(ManifestBackendChoice, AnUnknownNameIsAnErrorNamingItsSourceNeverAFallback) {
    auto env = bm::choose_backend(std::nullopt, "Docker", "native");
    ASSERT_TRUE(failed_with(env, errc::invalid_argument));
    EXPECT_EQ(env.error().message, "BOT_BOTTLE_BACKEND: unknown backend \"Docker\" (expected native, docker or smolmachines)");
    auto flag = bm::choose_backend("qemu", "docker");
    ASSERT_TRUE(failed_with(flag, errc::invalid_argument));
    EXPECT_EQ(flag.error().message.rfind("--backend: ", 0), 0u);
    // A valid flag is not second-guessed by a bad variable it overrides.
    EXPECT_TRUE(bm::choose_backend("native", "bogus").has_value());
    EXPECT_EQ(bm::parse_backend("docker"), backend_kind::docker);
    EXPECT_FALSE(bm::parse_backend("docker ").has_value());
}

}  // namespace
