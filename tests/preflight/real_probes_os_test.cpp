// real_probes over a fake os::system: what preflight asks the OS layer for
// (absolute programs only, LC_ALL=C, the output cap, the deadline) and how
// it maps the answers, without running anything.
#include "bottle-preflight/real_probes.hpp"

#include "../support/fake_os_system.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <string>

namespace {

using namespace bottle::preflight;
using bottle::errc;
using bottle::failed_with;
using bottle::test_support::fake_os_system;

TEST(RealProbesOverOs, RunAsksForACLocaleTheCapAndTheDeadline) {
    fake_os_system os;
    os.program("/usr/bin/docker", 0, "Docker version 25.0.0\n", "warning\n");
    real_probes probes(os);
    auto r = probes.run({"/usr/bin/docker", "--version"}, std::chrono::milliseconds(1234));
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->exit_code, 0);
    EXPECT_EQ(r->out, "Docker version 25.0.0\n");
    EXPECT_EQ(r->err, "warning\n");

    ASSERT_EQ(os.spawned.size(), 1u);
    const auto& req = os.spawned[0];
    EXPECT_EQ(req.argv, (std::vector<std::string>{"/usr/bin/docker", "--version"}));
    EXPECT_EQ(req.timeout, std::chrono::milliseconds(1234));
    EXPECT_EQ(req.output_cap, detail::max_captured_output);
    EXPECT_FALSE(req.stdin_bytes.has_value()) << "stdin from /dev/null";
    EXPECT_EQ(req.stderr_to, bottle::os::stderr_mode::capture);
    ASSERT_TRUE(req.env.has_value());
    EXPECT_EQ(std::count(req.env->begin(), req.env->end(), "LC_ALL=C"), 1);
    EXPECT_EQ(std::count_if(req.env->begin(), req.env->end(),
                            [](const std::string& e) { return e.rfind("LC_ALL=", 0) == 0; }),
              1)
        << "the caller's LC_ALL is replaced, not doubled";
}

TEST(RealProbesOverOs, RunMapsTimeoutsSignalsAndStartFailures) {
    fake_os_system os;
    bottle::os::spawn_output killed;
    killed.timed_out = true;
    killed.term_signal = SIGKILL;
    os.programs.insert_or_assign("/usr/bin/smolvm", killed);
    real_probes probes(os);
    auto r = probes.run({"/usr/bin/smolvm", "--version"}, std::chrono::seconds(5));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->timed_out);
    EXPECT_EQ(r->exit_code, -1);

    auto missing = probes.run({"/usr/bin/absent"}, std::chrono::seconds(5));
    ASSERT_TRUE(failed_with(missing, errc::not_found)) << "start failures stay errors";
    EXPECT_NE(missing.error().message.find("/usr/bin/absent"), std::string::npos);
}

TEST(RealProbesOverOs, RunRefusesRelativeProgramsBeforeAskingTheOs) {
    fake_os_system os;
    real_probes probes(os);
    EXPECT_TRUE(failed_with(probes.run({"docker", "--version"}, std::chrono::seconds(1)), errc::invalid_argument));
    EXPECT_TRUE(failed_with(probes.run({}, std::chrono::seconds(1)), errc::invalid_argument));
    EXPECT_TRUE(os.spawned.empty());
}

TEST(RealProbesOverOs, ReadFileUsesTheOsWithTheProbeLimit) {
    fake_os_system os;
    os.files["/proc/sys/kernel/unprivileged_userns_clone"] = "1\n";
    os.files["/big"] = std::string(max_probe_file_bytes + 1, 'x');
    real_probes probes(os);
    EXPECT_EQ(probes.read_file("/proc/sys/kernel/unprivileged_userns_clone").value(), "1\n");
    EXPECT_TRUE(failed_with(probes.read_file("/big"), errc::limit_exceeded));
    EXPECT_TRUE(failed_with(probes.read_file("/absent"), errc::not_found));
}

}  // namespace
