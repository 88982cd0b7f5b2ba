// res.memory from outside: reading a process's confinement from fixture
// /proc and cgroup trees (lab/memory_limits.hpp), and judging the lab host's
// records against the host's memory (runner/memory_verdict.hpp, score.hpp).
#include "lab/memory_limits.hpp"
#include "runner/memory_verdict.hpp"
#include "runner/score.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;
using namespace bottle::escape;

constexpr unsigned long long gib = 1ULL << 30;

// /proc/PID/limits as Linux prints it; AS and DATA soft limits substituted.
std::string limits_text(const std::string& as_soft, const std::string& data_soft) {
    return "Limit                     Soft Limit           Hard Limit           Units     \n"
           "Max cpu time              unlimited            unlimited            seconds   \n"
           "Max data size             " + data_soft + "            unlimited            bytes     \n"
           "Max stack size            8388608              unlimited            bytes     \n"
           "Max processes             96362                96362                processes \n"
           "Max address space         " + as_soft + "            unlimited            bytes     \n"
           "Max file locks            unlimited            unlimited            locks     \n";
}

// A scratch directory with a proc/<pid>/ and a cgroup/ tree.
class fixture_tree {
public:
    fixture_tree() : root_(fs::temp_directory_path() / ("bbx-memtest-" + std::to_string(getpid()) + "-" + std::to_string(counter_++))) {
        fs::create_directories(root_);
    }
    ~fixture_tree() {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }
    void write(const std::string& rel, const std::string& text) const {
        const fs::path p = root_ / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
    }
    /// Process 42 in the v1 memory cgroup /docker/abc, with no AS or DATA rlimit.
    void v1_process_without_rlimits() const;
    [[nodiscard]] fs::path proc() const { return root_ / "proc" / "42"; }
    [[nodiscard]] fs::path cgroup() const { return root_ / "cgroup"; }

private:
    static inline int counter_ = 0;
    fs::path root_;
};

const std::string v1_cgroup_file =
    "9:name=systemd:/\n8:pids:/docker/abc\n4:memory:/docker/abc\n3:cpuset:/\n0::/\n";

void fixture_tree::v1_process_without_rlimits() const {
    write("proc/42/cgroup", v1_cgroup_file);
    write("proc/42/limits", limits_text("unlimited", "unlimited"));
}

TEST(MemoryLimits, ParsesCgroupMembershipOfBothVersions) {
    auto r = lab::memory_cgroup(v1_cgroup_file);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->version, "v1");
    EXPECT_EQ(r->path, "/docker/abc");
    r = lab::memory_cgroup("5:cpu,memory:/a:b\n");  // combined hierarchy; ':' inside the path
    ASSERT_TRUE(r);
    EXPECT_EQ(r->path, "/a:b");
    r = lab::memory_cgroup("0::/user.slice/app.scope\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->version, "v2");
    EXPECT_EQ(r->path, "/user.slice/app.scope");
    EXPECT_FALSE(lab::memory_cgroup("8:pids:/\n"));
}

TEST(MemoryLimits, ParsesLimitValues) {
    bool ok = false;
    EXPECT_EQ(lab::cgroup_limit_value("1073741824\n", ok), gib);
    EXPECT_TRUE(ok);
    EXPECT_FALSE(lab::cgroup_limit_value("max\n", ok));
    EXPECT_TRUE(ok);
    EXPECT_FALSE(lab::cgroup_limit_value("9223372036854771712\n", ok)) << "v1's page-counter ceiling is no limit";
    EXPECT_TRUE(ok);
    (void)lab::cgroup_limit_value("lots", ok);
    EXPECT_FALSE(ok);
    bool found = false;
    EXPECT_EQ(lab::soft_limit(limits_text("2147483648", "unlimited"), "Max address space", found), 2 * gib);
    EXPECT_TRUE(found);
    EXPECT_FALSE(lab::soft_limit(limits_text("2147483648", "unlimited"), "Max data size", found));
    EXPECT_TRUE(found);
    EXPECT_FALSE(lab::soft_limit("Limit Soft\n", "Max data size", found));
    EXPECT_FALSE(found);
    EXPECT_EQ(lab::mem_total("MemTotal:       24683568 kB\nMemFree: 1 kB\n"), 24683568ULL * 1024);
}

TEST(MemoryLimits, AV1LimitOnAnAncestorConfines) {
    fixture_tree t;
    t.v1_process_without_rlimits();
    t.write("cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
    t.write("cgroup/memory/docker/memory.limit_in_bytes", "4294967296\n");
    t.write("cgroup/memory/docker/abc/memory.limit_in_bytes", "9223372036854771712\n");
    const auto c = lab::read_memory_confinement(42, t.proc(), t.cgroup());
    EXPECT_TRUE(c.unreadable.empty()) << c.unreadable;
    EXPECT_EQ(c.cgroup, "memory:/docker/abc");
    EXPECT_EQ(c.cgroup_limit, 4 * gib);
    EXPECT_EQ(c.cgroup_limit_at, "memory:/docker");
    EXPECT_EQ(c.effective(), 4 * gib);
}

TEST(MemoryLimits, V2MaxAndAnRlimitCombine) {
    fixture_tree t;
    t.write("proc/42/cgroup", "0::/bottle/lab\n");
    t.write("proc/42/limits", limits_text("unlimited", "536870912"));
    t.write("cgroup/memory.max", "max\n");  // the root has no memory.max in v2; a stray one says max
    t.write("cgroup/bottle/lab/memory.max", "1073741824\n");
    const auto c = lab::read_memory_confinement(42, t.proc(), t.cgroup());
    EXPECT_EQ(c.cgroup_limit, gib);
    EXPECT_EQ(c.rlimit_data, gib / 2);
    EXPECT_EQ(c.effective(), gib / 2) << "the tightest limit wins";
}

TEST(MemoryLimits, NothingSetAndWhatCouldNotBeRead) {
    fixture_tree t;
    t.v1_process_without_rlimits();
    t.write("cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
    auto c = lab::read_memory_confinement(42, t.proc(), t.cgroup());
    EXPECT_FALSE(c.effective());
    EXPECT_TRUE(c.unreadable.empty()) << c.unreadable;  // the missing child files: the root was read
    // No cgroup file system at all: unreadable, so nothing may be concluded.
    fixture_tree bare;
    bare.write("proc/42/cgroup", v1_cgroup_file);
    bare.write("proc/42/limits", limits_text("unlimited", "unlimited"));
    c = lab::read_memory_confinement(42, bare.proc(), bare.cgroup());
    EXPECT_FALSE(c.unreadable.empty());
}

TEST(MemoryLimits, RecognisesOnlyTheRunsProbeProcess) {
    using namespace std::string_literals;
    EXPECT_TRUE(lab::is_probe_of_run("/bbx/bottle-probe\0run\0--nonce\0abc123\0--lab-token\0ff"s, "abc123"));
    EXPECT_FALSE(lab::is_probe_of_run("/bbx/bottle-probe\0run\0--nonce\0abc1234\0"s, "abc123"));
    EXPECT_FALSE(lab::is_probe_of_run("strace\0-f\0/bbx/bottle-probe\0run\0--nonce\0abc123\0"s, "abc123"));
    EXPECT_FALSE(lab::is_probe_of_run("sh\0-c\0/bbx/bottle-probe run --nonce abc123\0"s, "abc123"));
    EXPECT_FALSE(lab::is_probe_of_run("/bbx/bottle-probe\0linger\0bbx-abc123-res-orphans\0600\0"s, "abc123"));
}

TEST(MemoryLimits, RecognisesAProfilesMemoryProcessByArgv0) {
    using namespace std::string_literals;
    // runsc's sandbox process (the gVisor kernel): argv[0] "runsc-sandbox", comm "exe".
    EXPECT_TRUE(lab::is_memory_process("runsc-sandbox\0--root=/x\0boot\0--bundle=/b\0abc\0"s, "runsc-sandbox"));
    EXPECT_TRUE(lab::is_memory_process("/usr/bin/runsc-sandbox\0boot\0"s, "runsc-sandbox"));
    EXPECT_TRUE(lab::is_memory_process("runsc-sandbox"s, "runsc-sandbox")) << "argv[0] alone, no trailing NUL";
    EXPECT_FALSE(lab::is_memory_process("runsc-gofer\0--root=/x\0gofer\0"s, "runsc-sandbox"));
    EXPECT_FALSE(lab::is_memory_process("/usr/bin/runsc\0--root\0/x\0create\0"s, "runsc-sandbox"));
    EXPECT_FALSE(lab::is_memory_process("runsc-sandbox-x\0"s, "runsc-sandbox"));
    EXPECT_FALSE(lab::is_memory_process("sh\0-c\0runsc-sandbox boot\0"s, "runsc-sandbox")) << "a launcher naming it later is not it";
    EXPECT_FALSE(lab::is_memory_process("grep\0runsc-sandbox\0"s, "runsc-sandbox"));
    EXPECT_FALSE(lab::is_memory_process("runsc-sandbox\0"s, "")) << "no name matches nothing";
    EXPECT_FALSE(lab::is_memory_process(""s, "runsc-sandbox"));
    EXPECT_TRUE(lab::valid_memory_process_name("runsc-sandbox"));
    EXPECT_FALSE(lab::valid_memory_process_name(""));
    EXPECT_FALSE(lab::valid_memory_process_name("/usr/bin/runsc"));
    EXPECT_FALSE(lab::valid_memory_process_name("runsc sandbox"));
    EXPECT_FALSE(lab::valid_memory_process_name(std::string(65, 'x')));
}

TEST(MemoryLimits, AMemoryProcessRecordSaysWhichProcessItIs) {
    fixture_tree t;
    t.v1_process_without_rlimits();
    t.write("cgroup/memory/docker/abc/memory.limit_in_bytes", "1073741824\n");
    auto c = lab::read_memory_confinement(42, t.proc(), t.cgroup());
    c.process = "runsc-sandbox";
    EXPECT_EQ(c.effective(), gib);
    EXPECT_EQ(c.describe().rfind("pid 42 (runsc-sandbox): cgroup memory:/docker/abc limit 1073741824", 0), 0u) << c.describe();
    const std::string data = lab::limits_event_data(c.effective(), c.unreadable.empty(), c.describe());
    const protocol::lab_event e{std::string(lab::limits_sink), "memory", "pid 42", "", data, 0};
    const auto j = judge_memory({e}, {{"mem_total", std::to_string(24 * gib)}});
    EXPECT_EQ(j.what, memory_judgement::kind::confined);
    EXPECT_NE(j.detail.find("(runsc-sandbox)"), std::string::npos) << j.detail;
}

protocol::lab_event limits_event(std::optional<unsigned long long> effective, bool complete = true) {
    return {std::string(lab::limits_sink), "memory", "pid 7", "", lab::limits_event_data(effective, complete, "pid 7: cgroup memory:/x"), 0};
}

host_facts host_with(unsigned long long total) { return {{"mem_total", std::to_string(total)}}; }

TEST(MemoryVerdict, JudgedAgainstTheHostsMemory) {
    using k = memory_judgement::kind;
    EXPECT_EQ(judge_memory({limits_event(std::nullopt)}, host_with(24 * gib)).what, k::unconfined);
    EXPECT_EQ(judge_memory({limits_event(32 * gib)}, host_with(24 * gib)).what, k::unconfined) << "a limit above the host's memory holds nothing";
    EXPECT_EQ(judge_memory({limits_event(gib)}, host_with(24 * gib)).what, k::confined);
    // One unconfined process is enough.
    EXPECT_EQ(judge_memory({limits_event(gib), limits_event(std::nullopt)}, host_with(24 * gib)).what, k::unconfined);
    // Fail closed: nothing sampled, no host size, or limits that could not be read.
    EXPECT_EQ(judge_memory({}, host_with(24 * gib)).what, k::unknown);
    EXPECT_EQ(judge_memory({limits_event(gib)}, {}).what, k::unknown);
    EXPECT_EQ(judge_memory({limits_event(std::nullopt, false)}, host_with(24 * gib)).what, k::unknown);
    // ...but a limit that was read and holds is enough to be confined.
    EXPECT_EQ(judge_memory({limits_event(gib, false)}, host_with(24 * gib)).what, k::confined);
    // Every confinement read is named, not only the first.
    const protocol::lab_event sidecar{std::string(lab::limits_sink), "memory", "pid 8", "",
                                      lab::limits_event_data(256ULL << 20, true, "pid 8 (runsc-sandbox): cgroup memory:/docker/e"), 0};
    const auto both = judge_memory({limits_event(gib), sidecar}, host_with(24 * gib));
    EXPECT_EQ(both.what, k::confined);
    EXPECT_NE(both.detail.find("pid 7: cgroup memory:/x | pid 8 (runsc-sandbox)"), std::string::npos) << both.detail;
}

TEST(MemoryVerdict, ScoredFromOutsideNotFromWhatTheProbeTouched) {
    const std::vector<probe_meta> probes{{"res.memory", "", protocol::scoring::effect, {}}};
    probe_report r;
    r.id = "res.memory";
    r.tag = "bbx-0123456789ab-res-memory";
    r.status = probe_status::ran;
    r.attempts = {{"", "allocate", "touched 512 MiB", true, true, ""}};
    ground_truth t;
    t.nonce = "0123456789ab";
    t.lab_host = host_with(24 * gib);
    t.events = {limits_event(std::nullopt)};
    auto v = score(probes, {r}, t);
    EXPECT_EQ(v[0].result, verdict::escaped);
    ASSERT_FALSE(v[0].evidence.empty());
    EXPECT_EQ(v[0].evidence[0].kind, "effect");
    t.events = {limits_event(gib)};
    v = score(probes, {r}, t);
    EXPECT_EQ(v[0].result, verdict::blocked) << "touched 512 MiB under a 1 GiB limit: the limit still holds";
    EXPECT_NE(v[0].reason.find("confined"), std::string::npos) << v[0].reason;
    t.events = {};
    v = score(probes, {r}, t);
    EXPECT_EQ(v[0].result, verdict::error) << "no limits seen: never BLOCKED";
}

TEST(MemoryLimits, ASampleStandsOnlyWhileItsProcessRunsTheSameProgram) {
    const auto self = lab::read_small_file("/proc/self/cmdline");
    ASSERT_TRUE(self);
    EXPECT_TRUE(lab::still_running("/proc/self", *self));
    EXPECT_FALSE(lab::still_running("/proc/self", "another\0program\0"));
    // A zombie (exited, not yet reaped) is not running anything.
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ASSERT_GT(child, 0);
    const std::string dir = "/proc/" + std::to_string(child);
    for (int i = 0; i < 200; ++i) {
        const auto stat = lab::read_small_file(dir + "/stat");
        if (stat && stat->find(") Z ") != std::string::npos) break;
        ::usleep(5000);
    }
    EXPECT_FALSE(lab::still_running(dir, *self));
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_FALSE(lab::still_running(dir, *self));  // gone
}

}  // namespace
