#include "bottle/os/spawn.hpp"

#include "../support/temp_dir.hpp"
#include "bottle/os/file.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

namespace {

using bottle::errc;
using bottle::failed_with;
using bottle::os::spawn;
using bottle::os::spawn_request;
using bottle::os::stderr_mode;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

spawn_request sh(const std::string& script) {
    spawn_request r;
    r.argv = {"/bin/sh", "-c", script};
    r.timeout = 10s;
    return r;
}

/// 'R', 'S', 'Z', ... from /proc/PID/stat, or 0 when the process is gone.
char process_state(int pid) {
    auto stat = bottle::os::read_file("/proc/" + std::to_string(pid) + "/stat", 4096);
    if (!stat) return 0;
    const auto close_paren = stat->rfind(')');
    return close_paren == std::string::npos || close_paren + 2 >= stat->size() ? 0 : (*stat)[close_paren + 2];
}

bool alive(int pid) {
    const char s = process_state(pid);
    return s != 0 && s != 'Z' && s != 'X';
}

bool dead_within(int pid, std::chrono::milliseconds limit) {
    const auto until = clock_type::now() + limit;
    while (clock_type::now() < until) {
        if (!alive(pid)) return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

TEST(Spawn, CapturesStdoutStderrAndExitCode) {
    auto r = spawn(sh("echo hi; echo err >&2; exit 3"));
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->exit_code, 3);
    EXPECT_EQ(r->term_signal, 0);
    EXPECT_FALSE(r->timed_out);
    EXPECT_TRUE(r->reaped);
    EXPECT_FALSE(r->succeeded());
    EXPECT_EQ(r->out, "hi\n");
    EXPECT_EQ(r->err, "err\n");
    EXPECT_GT(r->pid, 0);
}

TEST(Spawn, SucceededOnlyOnExitZero) {
    auto r = spawn(sh("exit 0"));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->succeeded());
}

TEST(Spawn, ReportsTheTerminatingSignal) {
    auto r = spawn(sh("kill -USR1 $$; sleep 5"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->term_signal, SIGUSR1);
    EXPECT_EQ(r->exit_code, -1);
    EXPECT_FALSE(r->timed_out);
    EXPECT_FALSE(r->succeeded());
}

TEST(Spawn, LooksUpPathForBareNames) {
    spawn_request r;
    r.argv = {"sh", "-c", "echo found"};
    auto out = spawn(r);
    ASSERT_TRUE(out) << out.error().describe();
    EXPECT_EQ(out->out, "found\n");
}

TEST(Spawn, NotFoundIsNotFound) {
    spawn_request r;
    r.argv = {"bottle-no-such-program-3f9a"};
    auto out = spawn(r);
    ASSERT_TRUE(failed_with(out, errc::not_found)) << (out ? "started" : out.error().describe());
    EXPECT_NE(out.error().message.find("bottle-no-such-program-3f9a"), std::string::npos);

    bottle::test_support::temp_dir dir;
    r.argv = {(dir.path() / "absent").string()};
    EXPECT_TRUE(failed_with(spawn(r), errc::not_found));
}

TEST(Spawn, NotExecutableIsPermissionDenied) {
    bottle::test_support::temp_dir dir;
    const auto script = (dir.path() / "script").string();
    ASSERT_TRUE(bottle::os::write_file(script, "#!/bin/sh\necho ran\n", 0644));
    spawn_request r;
    r.argv = {script};
    auto out = spawn(r);
    ASSERT_TRUE(failed_with(out, errc::permission_denied)) << (out ? "started" : out.error().describe());
    EXPECT_NE(out.error().message.find("not executable"), std::string::npos) << out.error().message;

    // The same file with its x bit runs: the refusal above was the mode.
    ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
    auto ran = spawn(r);
    ASSERT_TRUE(ran) << ran.error().describe();
    EXPECT_EQ(ran->out, "ran\n");

    r.argv = {dir.path().string()};  // a directory
    EXPECT_TRUE(failed_with(spawn(r), errc::permission_denied));
}

TEST(Spawn, NoFormatTheKernelRunsIsNotExecutable) {
    bottle::test_support::temp_dir dir;
    const auto junk = (dir.path() / "junk").string();
    ASSERT_TRUE(bottle::os::write_file(junk, "no shebang, no ELF\n", 0755));
    spawn_request r;
    r.argv = {junk};
    EXPECT_TRUE(failed_with(spawn(r), errc::permission_denied)) << "never retried through a shell";
}

TEST(Spawn, RejectsMalformedRequests) {
    EXPECT_TRUE(failed_with(spawn(spawn_request{}), errc::invalid_argument));
    auto r = sh("true");
    r.timeout = 0ms;
    EXPECT_TRUE(failed_with(spawn(r), errc::invalid_argument));
    r = sh("true");
    r.env = std::vector<std::string>{"NO_EQUALS_SIGN"};
    EXPECT_TRUE(failed_with(spawn(r), errc::invalid_argument));
    r = sh(std::string("echo a\0b", 8));
    EXPECT_TRUE(failed_with(spawn(r), errc::invalid_argument));
}

TEST(Spawn, MissingWorkingDirectoryIsNotMistakenForAMissingProgram) {
    auto r = sh("pwd");
    r.cwd = "/nonexistent-bottle-dir";
    auto out = spawn(r);
    ASSERT_TRUE(failed_with(out, errc::not_found));
    EXPECT_NE(out.error().message.find("/nonexistent-bottle-dir"), std::string::npos) << out.error().message;
    EXPECT_NE(out.error().message.find("directory"), std::string::npos) << out.error().message;
}

TEST(Spawn, RunsInTheGivenWorkingDirectory) {
    bottle::test_support::temp_dir dir;
    auto r = sh("pwd");
    r.cwd = dir.path().string();
    auto out = spawn(r);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->out, std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST(Spawn, PassesExactlyTheGivenEnvironment) {
    spawn_request r;
    r.argv = {"/usr/bin/env"};
    r.env = std::vector<std::string>{"A=1", "B=two words"};
    auto out = spawn(r);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->out, "A=1\nB=two words\n");

    r.env = std::vector<std::string>{};
    out = spawn(r);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->out, "");
}

TEST(Spawn, InheritsTheEnvironmentByDefault) {
    ::setenv("BOTTLE_OS_SPAWN_TEST", "inherited", 1);
    auto out = spawn(sh("echo \"$BOTTLE_OS_SPAWN_TEST\""));
    ::unsetenv("BOTTLE_OS_SPAWN_TEST");
    ASSERT_TRUE(out);
    EXPECT_EQ(out->out, "inherited\n");
}

TEST(Spawn, StdinIsDevNullByDefault) {
    auto out = spawn(sh("cat; echo done"));
    ASSERT_TRUE(out);
    EXPECT_EQ(out->out, "done\n");
}

TEST(Spawn, FeedsStdinBytesExactly) {
    auto r = sh("cat");
    r.stdin_bytes = std::string("line one\n\0binary\xff", 17);
    auto out = spawn(r);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->out, *r.stdin_bytes);

    // More than any pipe or socket buffer holds.
    r = sh("wc -c");
    r.stdin_bytes = std::string(3 * 1024 * 1024, 'x');
    out = spawn(r);
    ASSERT_TRUE(out);
    EXPECT_EQ(std::stoul(out->out), 3u * 1024 * 1024);

    r = sh("cat");
    r.stdin_bytes = std::string{};
    out = spawn(r);
    ASSERT_TRUE(out);
    EXPECT_TRUE(out->succeeded());
    EXPECT_EQ(out->out, "");
}

TEST(Spawn, AChildThatIgnoresStdinDoesNotHurtTheCaller) {
    auto r = sh("exit 0");
    r.stdin_bytes = std::string(4 * 1024 * 1024, 'x');  // would raise SIGPIPE on a pipe
    auto out = spawn(r);
    ASSERT_TRUE(out);
    EXPECT_TRUE(out->succeeded());
}

TEST(Spawn, CapsOutputAndSaysSo) {
    auto r = sh("head -c 1000000 /dev/zero; head -c 5000 /dev/zero >&2");
    r.output_cap = 4096;
    auto out = spawn(r);
    ASSERT_TRUE(out);
    EXPECT_TRUE(out->succeeded()) << "the child was never blocked on a full pipe";
    EXPECT_EQ(out->out.size(), 4096u);
    EXPECT_TRUE(out->out_truncated);
    EXPECT_EQ(out->err.size(), 4096u);
    EXPECT_TRUE(out->err_truncated);

    r = sh("printf 12345");
    r.output_cap = 5;
    out = spawn(r);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->out, "12345");
    EXPECT_FALSE(out->out_truncated) << "exactly the cap is not truncated";
}

TEST(Spawn, MergesOrDiscardsStderr) {
    auto r = sh("echo one; echo two >&2; echo three");
    r.stderr_to = stderr_mode::merge;
    auto out = spawn(r);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->out, "one\ntwo\nthree\n");
    EXPECT_EQ(out->err, "");

    r.stderr_to = stderr_mode::discard;
    out = spawn(r);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->out, "one\nthree\n");
    EXPECT_EQ(out->err, "");
}

TEST(Spawn, KillsAHungProgramAtTheDeadline) {
    spawn_request r;
    r.argv = {"/bin/sleep", "30"};
    r.timeout = 300ms;
    const auto start = clock_type::now();
    auto out = spawn(r);
    const auto took = clock_type::now() - start;
    ASSERT_TRUE(out);
    EXPECT_TRUE(out->timed_out);
    EXPECT_TRUE(out->reaped);
    EXPECT_EQ(out->exit_code, -1);
    EXPECT_EQ(out->term_signal, SIGKILL);
    EXPECT_FALSE(out->succeeded());
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 3s);
    EXPECT_TRUE(dead_within(out->pid, 1s));
}

TEST(Spawn, TheDeadlineKillsTheWholeGroupEvenAGrandchildIgnoringSigterm) {
    bottle::test_support::temp_dir dir;
    const auto pid_file = (dir.path() / "grandchild.pid").string();
    // The grandchild ignores SIGTERM and closes its copies of the pipes, so
    // only a SIGKILL to the group can end it, and reading to end of file
    // would not notice it.
    spawn_request r;
    r.argv = {"/bin/sh", "-c",
              "sh -c 'trap \"\" TERM; echo $$ > " + pid_file + "; exec sleep 30' >/dev/null 2>&1 & sleep 30"};
    r.timeout = 1500ms;

    std::optional<bottle::result<bottle::os::spawn_output>> out;
    std::thread runner([&] { out = spawn(r); });
    // Control, while it runs: the grandchild exists, ignores SIGTERM, and is
    // in another process group than ours (so killing it is the group kill).
    int grandchild = 0;
    for (int i = 0; i < 100 && grandchild == 0; ++i) {
        std::this_thread::sleep_for(10ms);
        if (auto text = bottle::os::read_file(pid_file, 64); text && !text->empty() && text->back() == '\n')
            grandchild = std::stoi(*text);
    }
    ASSERT_GT(grandchild, 0);
    EXPECT_NE(::getpgid(grandchild), ::getpgrp());
    std::this_thread::sleep_for(100ms);  // its exec of sleep, with SIGTERM still ignored
    auto status = bottle::os::read_file("/proc/" + std::to_string(grandchild) + "/status", 1 << 16);
    ASSERT_TRUE(status);
    const auto ign = status->find("SigIgn:\t");
    ASSERT_NE(ign, std::string::npos);
    const unsigned long long ignored = std::stoull(status->substr(ign + 8, 16), nullptr, 16);
    EXPECT_NE(ignored & (1ULL << (SIGTERM - 1)), 0u) << "the grandchild must ignore SIGTERM for this test to mean anything";
    ASSERT_EQ(::kill(grandchild, SIGTERM), 0);
    std::this_thread::sleep_for(50ms);
    EXPECT_TRUE(alive(grandchild)) << "SIGTERM did not end it";

    runner.join();
    ASSERT_TRUE(out.has_value() && out->has_value());
    EXPECT_TRUE((*out)->timed_out);
    EXPECT_TRUE(dead_within(grandchild, 2s)) << "grandchild " << grandchild << " outlived the group kill";
    if (alive(grandchild)) ::kill(grandchild, SIGKILL);  // leave nothing behind when failing
}

TEST(Spawn, DoesNotWaitForAGrandchildHoldingThePipes) {
    const auto start = clock_type::now();
    auto out = spawn(sh("sleep 2 & echo started"));
    const auto took = clock_type::now() - start;
    ASSERT_TRUE(out);
    EXPECT_FALSE(out->timed_out);
    EXPECT_EQ(out->exit_code, 0);
    EXPECT_EQ(out->out, "started\n");
    EXPECT_LT(took, 1500ms);
}

TEST(Spawn, TheChildGetsOnlyStdio) {
    const int leaked = ::fcntl(1, F_DUPFD, 100);  // not close-on-exec in the caller
    ASSERT_GE(leaked, 100);
    auto out = spawn(sh("ls /proc/self/fd"));
    ::close(leaked);
    ASSERT_TRUE(out);
    // 0, 1, 2 and the one ls opened to list the directory.
    EXPECT_EQ(out->out, "0\n1\n2\n3\n");
}

TEST(Spawn, TheChildStartsWithDefaultSignalsAndAnEmptyMask) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    struct sigaction old {};
    ASSERT_EQ(::sigaction(SIGUSR2, &ignore, &old), 0);
    sigset_t block, old_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &old_mask), 0);
    auto out = spawn(sh("grep -E '^Sig(Blk|Ign)' /proc/self/status"));
    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    ::sigaction(SIGUSR2, &old, nullptr);
    ASSERT_TRUE(out);
    EXPECT_NE(out->out.find("SigBlk:\t0000000000000000"), std::string::npos) << out->out;
    // sh itself may ignore a few signals; SIGUSR2 (bit 12) must not be one.
    const auto ign = out->out.find("SigIgn:\t");
    ASSERT_NE(ign, std::string::npos);
    const unsigned long long ignored = std::stoull(out->out.substr(ign + 8, 16), nullptr, 16);
    EXPECT_EQ(ignored & (1ULL << (SIGUSR2 - 1)), 0u) << out->out;
}

TEST(Spawn, RunsInItsOwnProcessGroup) {
    auto out = spawn(sh("cut -d' ' -f5 /proc/$$/stat"));  // pid (comm) state ppid pgrp
    ASSERT_TRUE(out);
    ASSERT_FALSE(out->out.empty());
    EXPECT_EQ(std::stoi(out->out), out->pid);
}

}  // namespace
