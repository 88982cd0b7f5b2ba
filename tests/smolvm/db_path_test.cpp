#include "bottle/smolvm/db_path.hpp"

#include <gtest/gtest.h>

namespace {

using bottle::errc;
using bottle::failed_with;
using bottle::smolvm::database_path;
using bottle::smolvm::env_from_map;
using bottle::smolvm::host_platform;

constexpr auto linux_host = host_platform::linux_host;
constexpr auto macos_host = host_platform::macos_host;

std::string path_of(const bottle::result<std::filesystem::path>& r) {
    return r.has_value() ? r->string() : "<error: " + r.error().message + ">";
}

TEST(DbPath, ExplicitPathWinsOverEverything) {
    auto env = env_from_map({{"HOME", "/home/u"}, {"SMOLVM_DATA_DIR", "/d"}, {"XDG_DATA_HOME", "/x"}});
    EXPECT_EQ(path_of(database_path(std::string("/srv/s.db"), linux_host, env)), "/srv/s.db");
    EXPECT_EQ(path_of(database_path(std::string("rel/s.db"), macos_host, env_from_map({}))), "rel/s.db");
}

TEST(DbPath, EmptyExplicitPathIsRejected) {
    EXPECT_TRUE(failed_with(database_path(std::string(""), linux_host, env_from_map({{"HOME", "/h"}})), errc::invalid_argument));
}

TEST(DbPath, SmolvmDataDirActsAsHomeAndIgnoresXdg) {
    auto env = env_from_map({{"HOME", "/home/u"}, {"SMOLVM_DATA_DIR", "/data"}, {"XDG_DATA_HOME", "/x"}});
    EXPECT_EQ(path_of(database_path(std::nullopt, linux_host, env)), "/data/.local/share/smolvm/server/smolvm.db");
    EXPECT_EQ(path_of(database_path(std::nullopt, macos_host, env)),
              "/data/Library/Application Support/smolvm/server/smolvm.db");
}

TEST(DbPath, SmolvmDataDirNeedsNoHome) {
    EXPECT_EQ(path_of(database_path(std::nullopt, linux_host, env_from_map({{"SMOLVM_DATA_DIR", "/data"}}))),
              "/data/.local/share/smolvm/server/smolvm.db");
}

TEST(DbPath, LinuxUsesAbsoluteXdgDataHome) {
    auto env = env_from_map({{"HOME", "/home/u"}, {"XDG_DATA_HOME", "/xdg"}});
    EXPECT_EQ(path_of(database_path(std::nullopt, linux_host, env)), "/xdg/smolvm/server/smolvm.db");
}

TEST(DbPath, LinuxIgnoresRelativeOrEmptyXdgDataHome) {
    for (const char* xdg : {"relative/dir", ""}) {
        auto env = env_from_map({{"HOME", "/home/u"}, {"XDG_DATA_HOME", xdg}});
        EXPECT_EQ(path_of(database_path(std::nullopt, linux_host, env)), "/home/u/.local/share/smolvm/server/smolvm.db") << xdg;
    }
}

TEST(DbPath, LinuxDefaultsToLocalShare) {
    EXPECT_EQ(path_of(database_path(std::nullopt, linux_host, env_from_map({{"HOME", "/home/u"}}))),
              "/home/u/.local/share/smolvm/server/smolvm.db");
}

TEST(DbPath, MacosIgnoresXdgAndUsesApplicationSupport) {
    auto env = env_from_map({{"HOME", "/Users/me"}, {"XDG_DATA_HOME", "/xdg"}});
    EXPECT_EQ(path_of(database_path(std::nullopt, macos_host, env)),
              "/Users/me/Library/Application Support/smolvm/server/smolvm.db");
}

TEST(DbPath, EmptySmolvmDataDirCountsAsUnset) {
    auto env = env_from_map({{"HOME", "/home/u"}, {"SMOLVM_DATA_DIR", ""}});
    EXPECT_EQ(path_of(database_path(std::nullopt, linux_host, env)), "/home/u/.local/share/smolvm/server/smolvm.db");
}

TEST(DbPath, MissingOrEmptyHomeIsAnErrorWithARemedy) {
    for (auto platform : {linux_host, macos_host}) {
        for (auto env : {env_from_map({}), env_from_map({{"HOME", ""}}), env_from_map({{"XDG_DATA_HOME", "rel"}})}) {
            auto r = database_path(std::nullopt, platform, env);
            ASSERT_TRUE(failed_with(r, errc::not_found)) << path_of(r);
            EXPECT_NE(r.error().message.find("--db"), std::string::npos);
            EXPECT_NE(r.error().message.find("HOME"), std::string::npos);
        }
    }
    // On Linux an absolute XDG_DATA_HOME is enough without HOME.
    EXPECT_EQ(path_of(database_path(std::nullopt, linux_host, env_from_map({{"XDG_DATA_HOME", "/x"}}))),
              "/x/smolvm/server/smolvm.db");
    EXPECT_TRUE(failed_with(database_path(std::nullopt, macos_host, env_from_map({{"XDG_DATA_HOME", "/x"}})), errc::not_found));
}

TEST(DbPath, ProcessEnvReadsTheRealEnvironment) {
    ::setenv("BOTTLE_DB_PATH_TEST_VAR", "value", 1);
    auto env = bottle::smolvm::process_env();
    EXPECT_EQ(env("BOTTLE_DB_PATH_TEST_VAR"), std::optional<std::string>("value"));
    ::unsetenv("BOTTLE_DB_PATH_TEST_VAR");
    EXPECT_FALSE(env("BOTTLE_DB_PATH_TEST_VAR").has_value());
}

}  // namespace
