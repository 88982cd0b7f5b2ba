// Which bottle-egress a native launch starts: the static build beside the
// dynamic one when it is not older (it starts ~2 ms sooner), never a stale one.
#include "bottle-run/backends/native/proxy.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using bottle::run::native::detail::prefer_static_egress;

void make_program_at(const fs::path& p, fs::file_time_type when) {
    std::ofstream(p) << "#!/bin/sh\n";
    fs::permissions(p, fs::perms::owner_all);
    fs::last_write_time(p, when);
}

TEST(RunEgressBinary, StaticBuildIsPreferredUnlessStale) {
    bottle::test_support::temp_dir dir{"bottle-run-egress-bin"};
    const fs::path dynamic = dir.path() / "bottle-egress", static_build = dir.path() / "bottle-egress-static";
    const auto now = fs::file_time_type::clock::now();
    EXPECT_EQ(prefer_static_egress(dynamic.string()), dynamic.string()) << "neither exists: the dynamic name, for the error";
    make_program_at(dynamic, now);
    EXPECT_EQ(prefer_static_egress(dynamic.string()), dynamic.string()) << "no static build";
    make_program_at(static_build, now);
    EXPECT_EQ(prefer_static_egress(dynamic.string()), static_build.string()) << "as new";
    fs::last_write_time(static_build, now - std::chrono::seconds(60));
    EXPECT_EQ(prefer_static_egress(dynamic.string()), dynamic.string()) << "stale: only bottle-egress was rebuilt since";
    fs::last_write_time(static_build, now + std::chrono::seconds(1));
    fs::permissions(static_build, fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(prefer_static_egress(dynamic.string()), dynamic.string()) << "not executable";
    fs::permissions(static_build, fs::perms::owner_all);
    fs::remove(dynamic);
    EXPECT_EQ(prefer_static_egress(dynamic.string()), static_build.string()) << "only the static build is installed";
}

}  // namespace
