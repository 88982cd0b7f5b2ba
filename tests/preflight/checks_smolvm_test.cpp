#include "bottle-preflight/checks_smolvm.hpp"

#include "support/fake_probes.hpp"
#include "support/text.hpp"

#include <gtest/gtest.h>

namespace {

using namespace bottle::preflight;
using bottle::errc;
using bottle::preflight::testing::healthy_host;

using bottle::test_support::contains;

TEST(SmolvmChecks, HealthyHost) {
    auto f = healthy_host();
    const auto checks = smolvm_checks(f);
    ASSERT_EQ(checks.size(), 4u);
    const char* ids[] = {"smolvm.cli", "smolvm.version", "smolvm.kvm", "smolvm.state_db"};
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(checks[i].id, ids[i]);
        EXPECT_EQ(checks[i].category, "smolmachines");
        EXPECT_EQ(checks[i].status, check_status::ok) << checks[i].id << ": " << checks[i].found;
    }
    EXPECT_EQ(checks[1].found, "smolvm 1.9.2");
    EXPECT_TRUE(contains(checks[3].found, "/home/dev/.local/share/smolvm/server/smolvm.db (4096 bytes)"));
}

TEST(SmolvmChecks, MissingCliFailsAndVersionIsNotChecked) {
    auto f = healthy_host();
    f.on_path.erase("smolvm");
    auto cli = check_smolvm_cli(f);
    EXPECT_EQ(cli.status, check_status::fail);
    EXPECT_FALSE(cli.remedy.empty());
    auto v = check_smolvm_version(f);
    EXPECT_EQ(v.status, check_status::warn);
    EXPECT_TRUE(contains(v.found, "not checked"));
    EXPECT_TRUE(f.ran.empty());
}

TEST(SmolvmChecks, VersionThreshold) {
    auto f = healthy_host();
    f.command("/usr/local/bin/smolvm --version", 0, "smolvm 1.7.7\n");
    auto old = check_smolvm_version(f);
    EXPECT_EQ(old.status, check_status::warn);
    EXPECT_TRUE(contains(old.found, "1.7.7"));
    EXPECT_TRUE(contains(old.found, "--allow-cidr"));
    EXPECT_TRUE(contains(old.found, "compensates by verifying"));
    EXPECT_TRUE(contains(old.remedy, ">= 1.8.0"));
    f.command("/usr/local/bin/smolvm --version", 0, "smolvm v1.8.0 (abc123 2025-06-01)\n");
    EXPECT_EQ(check_smolvm_version(f).status, check_status::ok);
    f.command("/usr/local/bin/smolvm --version", 0, "smolvm 0.9\n");
    EXPECT_EQ(check_smolvm_version(f).status, check_status::fail);
    f.command("/usr/local/bin/smolvm --version", 0, "smolvm 1.1.2\n");
    auto tsi = check_smolvm_version(f);
    EXPECT_EQ(tsi.status, check_status::fail);
    EXPECT_TRUE(contains(tsi.found, "does not enforce"));
    EXPECT_TRUE(contains(tsi.found, "refuses"));
    f.command("/usr/local/bin/smolvm --version", 0, "smolvm 1.1.3\n");
    EXPECT_EQ(check_smolvm_version(f).status, check_status::warn);
    f.command("/usr/local/bin/smolvm --version", 0, "smolvm dev-build\n");
    auto unknown = check_smolvm_version(f);
    EXPECT_EQ(unknown.status, check_status::warn);
    EXPECT_TRUE(contains(unknown.found, "cannot tell the version"));
    f.command("/usr/local/bin/smolvm --version", 2, "", "error: unknown flag\n");
    EXPECT_EQ(check_smolvm_version(f).status, check_status::fail);
    f.commands.insert_or_assign("/usr/local/bin/smolvm --version", command_output{-1, true, "", ""});
    EXPECT_EQ(check_smolvm_version(f).status, check_status::fail);
}

TEST(SmolvmChecks, KvmMissingDeviceNamesTheModule) {
    auto f = healthy_host();
    f.open_errno["/dev/kvm"] = ENOENT;
    f.file("/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme vmx sse\n");
    auto intel = check_smolvm_kvm(f);
    EXPECT_EQ(intel.status, check_status::fail);
    EXPECT_TRUE(contains(intel.found, "missing"));
    EXPECT_EQ(intel.remedy, "load the module: sudo modprobe kvm_intel");
    f.file("/proc/cpuinfo", "flags\t\t: fpu svm\n");
    EXPECT_EQ(check_smolvm_kvm(f).remedy, "load the module: sudo modprobe kvm_amd");
    f.file("/proc/cpuinfo", "flags\t\t: fpu hypervisor\n");
    auto none = check_smolvm_kvm(f);
    EXPECT_TRUE(contains(none.remedy, "enable hardware virtualization"));
    EXPECT_TRUE(contains(none.remedy, "kvm_intel"));
    EXPECT_TRUE(contains(none.remedy, "kvm_amd"));
}

TEST(SmolvmChecks, KvmPermissionDeniedNamesTheGroup) {
    auto f = healthy_host();
    for (int e : {EACCES, EPERM}) {
        f.open_errno["/dev/kvm"] = e;
        auto c = check_smolvm_kvm(f);
        EXPECT_EQ(c.status, check_status::fail);
        EXPECT_TRUE(contains(c.remedy, "usermod -aG kvm")) << c.remedy;
        EXPECT_FALSE(contains(c.remedy, "modprobe"));
    }
    f.open_errno["/dev/kvm"] = EBUSY;
    EXPECT_EQ(check_smolvm_kvm(f).status, check_status::fail);
}

TEST(SmolvmChecks, KvmNotNeededOffLinux) {
    auto f = healthy_host();
    f.os = "Darwin";
    f.open_errno["/dev/kvm"] = ENOENT;
    auto c = check_smolvm_kvm(f);
    EXPECT_EQ(c.status, check_status::ok);
    EXPECT_TRUE(contains(c.found, "Darwin"));
}

TEST(SmolvmChecks, StateDbPathResolution) {
    auto f = healthy_host();
    EXPECT_EQ(smolvm_state_db_path(f).value(), "/home/dev/.local/share/smolvm/server/smolvm.db");
    f.env["XDG_DATA_HOME"] = "/data/xdg";
    EXPECT_EQ(smolvm_state_db_path(f).value(), "/data/xdg/smolvm/server/smolvm.db");
    f.env["XDG_DATA_HOME"] = "relative/xdg";  // ignored, as the XDG spec says
    EXPECT_EQ(smolvm_state_db_path(f).value(), "/home/dev/.local/share/smolvm/server/smolvm.db");
    f.env["SMOLVM_DATA_DIR"] = "/srv/smol";
    EXPECT_EQ(smolvm_state_db_path(f).value(), "/srv/smol/.local/share/smolvm/server/smolvm.db");
    f.os = "Darwin";
    EXPECT_EQ(smolvm_state_db_path(f).value(), "/srv/smol/Library/Application Support/smolvm/server/smolvm.db");
    f.env.erase("SMOLVM_DATA_DIR");
    EXPECT_EQ(smolvm_state_db_path(f).value(), "/home/dev/Library/Application Support/smolvm/server/smolvm.db");
    f.env.clear();
    EXPECT_TRUE(bottle::failed_with(smolvm_state_db_path(f), errc::not_found));
}

TEST(SmolvmChecks, StateDbStates) {
    auto f = healthy_host();
    const std::string db = "/home/dev/.local/share/smolvm/server/smolvm.db";
    f.stats.erase(db);
    auto missing = check_smolvm_state_db(f);
    EXPECT_EQ(missing.status, check_status::warn);
    EXPECT_TRUE(contains(missing.found, "does not exist yet"));
    f.stats.insert_or_assign(db, file_status{file_kind::directory, 0});
    EXPECT_EQ(check_smolvm_state_db(f).status, check_status::fail);
    f.stats.insert_or_assign(db, bottle::make_error(errc::permission_denied, "denied"));
    EXPECT_EQ(check_smolvm_state_db(f).status, check_status::fail);
    f.env.clear();
    auto unresolved = check_smolvm_state_db(f);
    EXPECT_EQ(unresolved.status, check_status::fail);
    EXPECT_TRUE(contains(unresolved.remedy, "HOME"));
}

}  // namespace
