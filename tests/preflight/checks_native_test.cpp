#include "bottle-preflight/checks_native.hpp"

#include "support/fake_probes.hpp"
#include "support/text.hpp"

#include <gtest/gtest.h>

namespace {

using namespace bottle::preflight;
using bottle::errc;
using bottle::preflight::testing::healthy_host;

using bottle::test_support::contains;

TEST(NativeChecks, HealthyHostIsAllOkInStableOrder) {
    auto f = healthy_host();
    const auto checks = native_checks(f);
    const std::vector<std::string> ids{"native.userns",  "native.apparmor_userns", "native.bwrap",        "native.seccomp",
                                       "native.landlock", "native.cgroup_pids",     "native.cgroup_memory"};
    ASSERT_EQ(checks.size(), ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        EXPECT_EQ(checks[i].id, ids[i]);
        EXPECT_EQ(checks[i].category, "native");
        EXPECT_EQ(checks[i].status, check_status::ok) << checks[i].id << ": " << checks[i].found;
        EXPECT_TRUE(checks[i].remedy.empty()) << checks[i].id;
        EXPECT_FALSE(checks[i].title.empty());
    }
}

TEST(NativeChecks, UsernsOkReportsTheLimit) {
    auto f = healthy_host();
    auto c = check_userns(f);
    EXPECT_EQ(c.status, check_status::ok);
    EXPECT_TRUE(contains(c.found, "63457"));
}

TEST(NativeChecks, UsernsZeroFailsWithSysctlRemedy) {
    auto f = healthy_host();
    f.file("/proc/sys/user/max_user_namespaces", "0\n");
    auto c = check_userns(f);
    EXPECT_EQ(c.status, check_status::fail);
    EXPECT_TRUE(contains(c.remedy, "sysctl -w user.max_user_namespaces=")) << c.remedy;
}

TEST(NativeChecks, UsernsAbsentGarbledOrUnreadableFails) {
    auto f = healthy_host();
    f.files.erase("/proc/sys/user/max_user_namespaces");
    auto absent = check_userns(f);
    EXPECT_EQ(absent.status, check_status::fail);
    EXPECT_TRUE(contains(absent.remedy, "CONFIG_USER_NS"));
    f.file("/proc/sys/user/max_user_namespaces", "lots");
    EXPECT_EQ(check_userns(f).status, check_status::fail);
    f.file_error("/proc/sys/user/max_user_namespaces", errc::permission_denied);
    auto unreadable = check_userns(f);
    EXPECT_EQ(unreadable.status, check_status::fail);
    EXPECT_TRUE(contains(unreadable.found, "cannot read"));
}

TEST(NativeChecks, DebianUnprivilegedCloneSwitch) {
    auto f = healthy_host();
    f.file("/proc/sys/kernel/unprivileged_userns_clone", "0\n");
    auto user = check_userns(f);
    EXPECT_EQ(user.status, check_status::fail);
    EXPECT_TRUE(contains(user.remedy, "kernel.unprivileged_userns_clone=1"));
    f.euid = 0;
    auto root = check_userns(f);
    EXPECT_EQ(root.status, check_status::ok);
    EXPECT_TRUE(contains(root.found, "root is exempt"));
    f.euid = 1000;
    f.file("/proc/sys/kernel/unprivileged_userns_clone", "1\n");
    EXPECT_EQ(check_userns(f).status, check_status::ok);
}

TEST(NativeChecks, AppArmorRestriction) {
    auto f = healthy_host();
    f.files.erase("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
    EXPECT_EQ(check_apparmor_userns(f).status, check_status::ok) << "absent file = no restriction";

    f.file("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1\n");
    auto user = check_apparmor_userns(f);
    EXPECT_EQ(user.status, check_status::fail);
    EXPECT_TRUE(contains(user.remedy, "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0")) << user.remedy;

    f.euid = 0;
    auto root = check_apparmor_userns(f);
    EXPECT_EQ(root.status, check_status::warn);
    EXPECT_TRUE(contains(root.found, "root is exempt"));

    f.file("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "2\n");
    EXPECT_EQ(check_apparmor_userns(f).status, check_status::fail);
    f.file_error("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", errc::permission_denied);
    EXPECT_EQ(check_apparmor_userns(f).status, check_status::warn);
}

TEST(NativeChecks, BwrapPresentAndVersioned) {
    auto f = healthy_host();
    auto c = check_bwrap(f);
    EXPECT_EQ(c.status, check_status::ok);
    EXPECT_EQ(c.found, "/usr/bin/bwrap (bubblewrap 0.8.0)");
    ASSERT_EQ(f.ran.size(), 1u);
    EXPECT_EQ(f.ran[0], "/usr/bin/bwrap --version") << "runs the binary it found, by absolute path";
    EXPECT_LE(f.timeouts[0].count(), 10000) << "always with a bounded timeout";
}

TEST(NativeChecks, BwrapMissingBrokenOrHung) {
    auto f = healthy_host();
    f.on_path.erase("bwrap");
    auto missing = check_bwrap(f);
    EXPECT_EQ(missing.status, check_status::fail);
    EXPECT_TRUE(contains(missing.remedy, "apt-get install bubblewrap"));
    EXPECT_TRUE(f.ran.empty());

    f = healthy_host();
    f.command("/usr/bin/bwrap --version", 1, "", "bwrap: Creating new namespace failed\n");
    auto broken = check_bwrap(f);
    EXPECT_EQ(broken.status, check_status::fail);
    EXPECT_TRUE(contains(broken.found, "Creating new namespace failed"));

    f.commands.insert_or_assign("/usr/bin/bwrap --version", command_output{-1, true, "", ""});
    auto hung = check_bwrap(f);
    EXPECT_EQ(hung.status, check_status::fail);
    EXPECT_TRUE(contains(hung.found, "did not finish"));

    f.commands.erase("/usr/bin/bwrap --version");  // the fake then fails to start it
    EXPECT_EQ(check_bwrap(f).status, check_status::fail);

    f.command("/usr/bin/bwrap --version", 0, "bubblewrap\n");
    EXPECT_EQ(check_bwrap(f).status, check_status::warn);
}

TEST(NativeChecks, Seccomp) {
    auto f = healthy_host();
    EXPECT_EQ(check_seccomp(f).status, check_status::ok);

    f.file("/proc/self/status", "Name:\tx\nSeccomp:\t2\nSeccomp_filters:\t1\n");
    auto nested = check_seccomp(f);
    EXPECT_EQ(nested.status, check_status::ok);
    EXPECT_TRUE(contains(nested.found, "already runs under a seccomp filter"));

    f.file("/proc/sys/kernel/seccomp/actions_avail", "kill_process allow\n");
    EXPECT_EQ(check_seccomp(f).status, check_status::fail) << "no errno action";

    f.files.erase("/proc/sys/kernel/seccomp/actions_avail");
    auto unconfirmed = check_seccomp(f);
    EXPECT_EQ(unconfirmed.status, check_status::warn);
    EXPECT_TRUE(contains(unconfirmed.remedy, "CONFIG_SECCOMP_FILTER"));

    f.file("/proc/self/status", "Name:\tx\nSeccomp_filters:\t0\n");  // "Seccomp_filters" is not "Seccomp"
    EXPECT_EQ(check_seccomp(f).status, check_status::fail);
}

TEST(NativeChecks, LandlockAbiLevels) {
    auto f = healthy_host();
    f.landlock = {4, 0};
    EXPECT_EQ(check_landlock(f).status, check_status::ok);
    f.landlock = {3, 0};
    auto old = check_landlock(f);
    EXPECT_EQ(old.status, check_status::warn);
    EXPECT_TRUE(contains(old.found, "ABI 3"));
    EXPECT_TRUE(contains(old.remedy, "6.7"));
}

TEST(NativeChecks, LandlockDisabledAtBootNamesTheLsmParameter) {
    auto f = healthy_host();
    f.landlock = {-1, EOPNOTSUPP};
    f.file("/sys/kernel/security/lsm", "lockdown,capability,yama,apparmor\n");
    auto c = check_landlock(f);
    EXPECT_EQ(c.status, check_status::warn);
    EXPECT_TRUE(contains(c.remedy, "lsm=landlock,lockdown,capability,yama,apparmor")) << c.remedy;
    f.files.erase("/sys/kernel/security/lsm");
    EXPECT_TRUE(contains(check_landlock(f).remedy, "lsm=landlock,"));
}

TEST(NativeChecks, LandlockMissingOrOtherErrorWarns) {
    auto f = healthy_host();
    f.landlock = {-1, ENOSYS};
    auto c = check_landlock(f);
    EXPECT_EQ(c.status, check_status::warn);
    EXPECT_TRUE(contains(c.found, "ENOSYS"));
    EXPECT_TRUE(contains(c.remedy, "CONFIG_SECURITY_LANDLOCK"));
    f.landlock = {-1, EPERM};
    EXPECT_EQ(check_landlock(f).status, check_status::warn);
    f.landlock = {0, 0};
    EXPECT_EQ(check_landlock(f).status, check_status::warn);
}

TEST(NativeChecks, CgroupV2) {
    auto f = healthy_host();
    auto c = check_cgroup_controller(f, "pids");
    EXPECT_EQ(c.id, "native.cgroup_pids");
    EXPECT_EQ(c.status, check_status::ok);
    EXPECT_TRUE(contains(c.found, "cgroup v2 at /sys/fs/cgroup"));
    f.file("/sys/fs/cgroup/cgroup.controllers", "cpu io pids\n");
    EXPECT_EQ(check_cgroup_controller(f, "memory").status, check_status::fail);
    EXPECT_EQ(check_cgroup_controller(f, "pids").status, check_status::ok);
    f.file("/sys/fs/cgroup/cgroup.controllers", "cpu io mypids\n");
    EXPECT_EQ(check_cgroup_controller(f, "pids").status, check_status::fail) << "whole words only";
}

TEST(NativeChecks, CgroupV1AndHybrid) {
    auto f = healthy_host();
    f.files.erase("/sys/fs/cgroup/cgroup.controllers");
    f.file("/proc/self/mounts",
           "tmpfs /sys/fs/cgroup tmpfs rw 0 0\n"
           "cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0\n"
           "cgroup /sys/fs/cgroup/my\\040memory cgroup rw,relatime,memory 0 0\n"
           "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n");
    auto pids = check_cgroup_controller(f, "pids");
    EXPECT_EQ(pids.status, check_status::ok);
    EXPECT_TRUE(contains(pids.found, "v1 hierarchy at /sys/fs/cgroup/pids"));
    EXPECT_TRUE(contains(check_cgroup_controller(f, "memory").found, "/sys/fs/cgroup/my memory")) << "octal unescaped";
}

TEST(NativeChecks, CgroupFailuresExplainedByProcCgroups) {
    auto f = healthy_host();
    f.file("/proc/self/mounts", "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n");
    f.file("/proc/cgroups",
           "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t1\t1\t1\nmemory\t0\t1\t0\npids\t0\t1\t1\n");
    auto memory = check_cgroup_controller(f, "memory");
    EXPECT_EQ(memory.status, check_status::fail);
    EXPECT_TRUE(contains(memory.found, "disabled at boot"));
    EXPECT_TRUE(contains(memory.remedy, "cgroup_enable=memory"));
    auto pids = check_cgroup_controller(f, "pids");
    EXPECT_EQ(pids.status, check_status::fail);
    EXPECT_TRUE(contains(pids.found, "no mounted hierarchy"));
    EXPECT_TRUE(contains(pids.remedy, "mount -t cgroup -o pids"));

    f.file("/proc/cgroups", "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t1\t1\t1\n");
    auto absent = check_cgroup_controller(f, "memory");
    EXPECT_EQ(absent.status, check_status::fail);
    EXPECT_TRUE(contains(absent.remedy, "CONFIG_MEMCG"));

    f.file_error("/proc/self/mounts", errc::io_error);
    EXPECT_EQ(check_cgroup_controller(f, "pids").status, check_status::fail);
}

TEST(NativeChecks, EveryFailureIsListedInOneRun) {
    bottle::preflight::testing::fake_probes empty;  // nothing at all
    const auto checks = native_checks(empty);
    ASSERT_EQ(checks.size(), 7u);
    std::size_t failed = 0;
    for (const auto& c : checks) {
        if (c.status == check_status::fail) {
            ++failed;
            EXPECT_FALSE(c.remedy.empty()) << c.id << " fails without a remedy";
        }
    }
    EXPECT_GE(failed, 5u);
}

}  // namespace
