// `bottle-run resume ID`: the launch record written at start, read back, and
// a relaunch of the same command or agent, bottles and workspace.
#include "bottle-run/launch_record.hpp"

#include "support/temp_dir.hpp"

#include "bottle_run_process.hpp"

#include "bottle/os/spawn.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using bottle::test_support::temp_dir;
using namespace bottle::run;

TEST(LaunchRecord, RoundTripsAndResumesWithTheSameNames) {
    temp_dir dir{"bottle-run-records"};
    options o;
    o.command = "agent";
    o.target = "coder";
    o.manifest = "/etc/bot-bottle/m.json";
    o.bottles = {"dev", "gpu"};
    o.backend = "native";
    o.argv = {"--fast", "x y"};
    auto r = record_for(o, "bb-0123456789ab", std::string("/src/app"), R"({"egress":[]})");
    ASSERT_TRUE(write_launch_record(dir.path().string(), r));
    auto back = read_launch_record(dir.path().string(), "bb-0123456789ab");
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->command, "agent");
    EXPECT_EQ(back->agent, "coder");
    EXPECT_EQ(back->manifest, std::optional<std::string>("/etc/bot-bottle/m.json"));
    EXPECT_EQ(back->bottles, (std::vector<std::string>{"dev", "gpu"}));
    EXPECT_EQ(back->workspace, std::optional<std::string>("/src/app"));
    EXPECT_EQ(back->argv, (std::vector<std::string>{"--fast", "x y"}));
    EXPECT_EQ(back->canonical, R"({"egress":[]})");
    EXPECT_GT(back->started, 0);
    options resume;
    resume.command = "resume";
    resume.dry_run = true;
    EXPECT_EQ(resume_arguments(*back, resume),
              (std::vector<std::string>{"--manifest", "/etc/bot-bottle/m.json", "--bottle", "dev", "--bottle", "gpu", "--workspace",
                                        "/src/app", "--backend", "native", "--dry-run", "agent", "coder", "--", "--fast", "x y"}));
    resume.argv = {"--other"};
    resume.backend = "docker";
    const auto a = resume_arguments(*back, resume);
    EXPECT_EQ(a.back(), "--other") << "ARGs after resume ID -- replace the recorded ones";
    EXPECT_EQ(std::count(a.begin(), a.end(), "--fast"), 0);
    EXPECT_NE(std::find(a.begin(), a.end(), "docker"), a.end());
    // A relative manifest is recorded absolute: resume may run elsewhere.
    o.manifest = "m.json";
    EXPECT_EQ(record_for(o, "bb-1", std::nullopt, "{}").manifest, (fs::current_path() / "m.json").string());
}

TEST(LaunchRecord, RefusesWhatIsNotARecord) {
    temp_dir dir{"bottle-run-records"};
    const auto d = dir.path().string();
    EXPECT_TRUE(bottle::failed_with(read_launch_record(d, "bb-missing"), bottle::errc::not_found));
    for (const char* bad : {"../etc/passwd", "", "BB-X", "a/b"})
        EXPECT_TRUE(bottle::failed_with(read_launch_record(d, bad), bottle::errc::invalid_argument)) << bad;
    std::ofstream(dir.path() / "bb-bad.launch.json") << R"({"schema": "bot-bottle/launch/v1", "id": "bb-bad"})";
    EXPECT_TRUE(bottle::failed_with(read_launch_record(d, "bb-bad"), bottle::errc::parse_error));
    std::ofstream(dir.path() / "bb-other.launch.json")
        << R"({"schema": "bot-bottle/launch/v1", "id": "bb-else", "command": "run", "agent": "", "manifest": null, "bottles": [],
               "workspace": null, "backend": null, "argv": ["true"], "canonical": "{}", "started": 1})";
    EXPECT_TRUE(bottle::failed_with(read_launch_record(d, "bb-other"), bottle::errc::parse_error)) << "a record names its own id";
}

TEST(LaunchRecord, ADockerLaunchKeepsItsImageAndGvisorRequirement) {
    temp_dir dir{"bottle-run-records"};
    options o;
    o.backend = "docker";
    o.image = "agent:1";
    o.require_gvisor = true;
    o.argv = {"true"};
    ASSERT_TRUE(write_launch_record(dir.path().string(), record_for(o, "bb-d0c4e7", std::nullopt, "{}")));
    auto back = read_launch_record(dir.path().string(), "bb-d0c4e7");
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->image, std::optional<std::string>("agent:1"));
    EXPECT_TRUE(back->require_gvisor);
    options resume;
    resume.command = "resume";
    EXPECT_EQ(resume_arguments(*back, resume),
              (std::vector<std::string>{"--backend", "docker", "--image", "agent:1", "--require-gvisor", "--", "true"}));
    resume.image = "agent:2";
    const auto a = resume_arguments(*back, resume);
    EXPECT_NE(std::find(a.begin(), a.end(), "agent:2"), a.end()) << "--image on the resume line wins";
    EXPECT_EQ(std::find(a.begin(), a.end(), "agent:1"), a.end());
    // A record written before docker resume (no image, no require_gvisor) still reads.
    std::ofstream(dir.path() / "bb-01d.launch.json")
        << R"({"schema": "bot-bottle/launch/v1", "id": "bb-01d", "command": "run", "agent": "", "manifest": null, "bottles": [],
               "workspace": null, "backend": null, "argv": ["true"], "canonical": "{}", "started": 1})";
    auto old = read_launch_record(dir.path().string(), "bb-01d");
    ASSERT_TRUE(old) << old.error().message;
    EXPECT_FALSE(old->image);
    EXPECT_FALSE(old->require_gvisor);
}

TEST(LaunchRecord, GcRemovesOnlyOldRecordsOfEndedBottles) {
    temp_dir dir{"bottle-run-records"};
    const auto d = dir.path().string();
    options o;
    o.argv = {"true"};
    const long long now = 10 * launch_record_max_age;
    auto write = [&](const std::string& id, long long started) {
        auto r = record_for(o, id, std::nullopt, "{}");
        r.started = started;
        ASSERT_TRUE(write_launch_record(d, r));
    };
    write("bb-old", now - launch_record_max_age - 1);
    write("bb-new", now - 60);
    write("bb-running", 0);
    std::ofstream(dir.path() / "bb-running.json") << "{}";  // its state file: still running
    std::ofstream(dir.path() / "bb-half.launch.json") << "{\"schema\": ";  // being written: new by its file's age
    EXPECT_EQ(collect_launch_records(d, now), 1);
    EXPECT_TRUE(fs::exists(dir.path() / "bb-half.launch.json"));
    EXPECT_FALSE(fs::exists(dir.path() / "bb-old.launch.json"));
    EXPECT_TRUE(fs::exists(dir.path() / "bb-new.launch.json"));
    EXPECT_TRUE(fs::exists(dir.path() / "bb-running.launch.json"));
    EXPECT_EQ(collect_launch_records(d, 1LL << 40), 2) << "bb-new, and bb-half, old by its file's age";
    EXPECT_TRUE(fs::exists(dir.path() / "bb-running.launch.json"));
}

using bottle::test_support::userns_works;

class RunResume : public ::testing::Test {
protected:
    temp_dir runtime{"bottle-run-resume"};
    temp_dir ws{"bottle-run-resume-ws"};
    fs::path manifest = runtime.path() / "m.json";

    void SetUp() override {
        if (!fs::exists(bottle::test_support::bottle_run_binary)) GTEST_SKIP() << "build bottle-run first";
        std::ofstream(manifest) << R"({"bottles": {"a": {"env": {"FROM_A": "1"}}, "b": {"env": {"FROM_B": "2"}}},
                                       "agents": {"echoer": {"bottle": "a", "provider": "plain",
                                                             "command": ["sh", "-c", "echo agent $FROM_A$FROM_B; exit 4"]}}})";
        // A provider without routes whose credential comes from TEST_TOKEN.
        fs::create_directories(runtime.path() / "providers");
        std::ofstream(runtime.path() / "providers" / "plain.json")
            << R"({"command": ["true"], "image": "plain", "egress": [],
                  "credentials": {"kind": "env_token", "host_env": "TEST_TOKEN", "agent_env": "AGENT_TOKEN", "remedy": "set TEST_TOKEN"}})";
        // Root runs the agent as the workspace's owner: an ordinary uid.
        if (::geteuid() == 0) (void)::chown(ws.path().c_str(), 65534, 65534);
    }
    bottle::test_support::bottle_run_result run(const std::vector<std::string>& args) {
        return bottle::test_support::run_bottle_run(
            args, {"PATH=/usr/bin:/bin", "HOME=/nonexistent", "XDG_RUNTIME_DIR=" + runtime.path().string(),
                   "BOT_BOTTLE_PROVIDERS=" + (runtime.path() / "providers").string(), "TEST_TOKEN=t0k"});
    }
    /// The ids of the launch records in the state directory.
    std::vector<std::string> records() {
        std::vector<std::string> ids;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(runtime.path() / "bot-bottle", ec)) {
            const auto name = e.path().filename().string();
            if (name.ends_with(".launch.json")) ids.push_back(name.substr(0, name.size() - 12));
        }
        return ids;
    }
};

TEST_F(RunResume, ResumeRelaunchesTheSameCommandBottlesAndWorkspace) {
    auto first = run({"--manifest", manifest.string(), "--bottle", "a", "--bottle", "b", "--workspace", ws.path().string(), "--", "sh",
                      "-c", "echo $FROM_A$FROM_B $(pwd); exit 3"});
    if (first.code == 125 && !userns_works()) GTEST_SKIP() << "user namespaces are not available";
    ASSERT_EQ(first.code, 3) << first.err;
    const auto ids = records();
    ASSERT_EQ(ids.size(), 1u);
    // The dry run shows what resume would launch: the same bottles, workspace and command.
    auto plan = run({"resume", ids[0], "--dry-run"});
    ASSERT_EQ(plan.code, 0) << plan.err;
    const auto j = json::parse(plan.out);
    EXPECT_EQ(j.at("bottle").at("resolved").at("env").at("FROM_A").as_string(), "1");
    EXPECT_EQ(j.at("bottle").at("resolved").at("env").at("FROM_B").as_string(), "2");
    EXPECT_EQ(j.at("argv").as_array().back().as_string(), "echo $FROM_A$FROM_B $(pwd); exit 3");
    bool workspace = false;
    for (const auto& m : j.at("mounts").as_array())
        workspace |= m.at("target") == "/workspace" && m.as_object().contains("source") && m.at("source").as_string() == fs::canonical(ws.path()).string().c_str();
    EXPECT_TRUE(workspace) << plan.out;
    EXPECT_NE(j.at("bottle_id").as_string(), ids[0]) << "a resumed bottle is a new bottle";
    EXPECT_NE(plan.err.find("resuming " + ids[0]), std::string::npos) << plan.err;
    // And for real: the same output and exit code.
    auto again = run({"resume", ids[0]});
    EXPECT_EQ(again.code, 3) << again.err;
    EXPECT_EQ(again.out, first.out);
    EXPECT_EQ(first.out, "12 /workspace\n");
    EXPECT_EQ(records().size(), 2u) << "the resumed launch has its own record";
}

TEST_F(RunResume, ResumeRelaunchesAnAgentWithItsExtraArguments) {
    auto first = run({"--manifest", manifest.string(), "--workspace", ws.path().string(), "agent", "echoer"});
    if (first.code == 125 && !userns_works()) GTEST_SKIP() << "user namespaces are not available";
    ASSERT_EQ(first.code, 4) << first.err;
    EXPECT_EQ(first.out, "agent 1\n");
    const auto ids = records();
    ASSERT_EQ(ids.size(), 1u);
    auto again = run({"resume", ids[0]});
    EXPECT_EQ(again.code, 4) << again.err;
    EXPECT_EQ(again.out, "agent 1\n");
    // The manifest changed since: resume follows the names, not a snapshot.
    std::ofstream(manifest) << R"({"bottles": {"a": {"env": {"FROM_A": "new"}}},
                                   "agents": {"echoer": {"bottle": "a", "provider": "plain",
                                                         "command": ["sh", "-c", "echo agent $FROM_A; exit 4"]}}})";
    EXPECT_EQ(run({"resume", ids[0]}).out, "agent new\n");
}

TEST_F(RunResume, UnknownIdsAreAUsageError) {
    auto r = run({"resume", "bb-000000000000"});
    EXPECT_EQ(r.code, 125);
    EXPECT_NE(r.err.find("no launch record for bb-000000000000"), std::string::npos) << r.err;
    EXPECT_EQ(run({"resume"}).code, 125);
    auto bad = run({"resume", "../x"});
    EXPECT_EQ(bad.code, 125);
    EXPECT_NE(bad.err.find("not a bottle id"), std::string::npos) << bad.err;
}

}  // namespace
