// {bin:NAME} resolution and the per-profile probe settings (probe_timeout_ms,
// probe_jobs): parsed strictly, overridden by the command line, carried into
// the probe's arguments and the report.
#include "runner/profile.hpp"

#include "runner/output.hpp"
#include "runner/prepare.hpp"

#include <boost/json.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace {

using namespace bottle::escape;
namespace fs = std::filesystem;

// A scratch directory with profiles and fake programs, removed at the end.
class profile_settings_dir {
public:
    profile_settings_dir() : dir_(fs::temp_directory_path() / ("bbx-profile-settings-" + std::to_string(getpid()))) {
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "bin");
        fs::create_directories(dir_ / "other");
    }
    ~profile_settings_dir() { fs::remove_all(dir_); }
    profile_settings_dir(const profile_settings_dir&) = delete;
    profile_settings_dir& operator=(const profile_settings_dir&) = delete;

    void profile(const std::string& name, const std::string& body) const { std::ofstream(dir_ / (name + ".json")) << body; }
    std::string program(const std::string& sub, const std::string& name, mode_t mode = 0755) const {
        const auto p = dir_ / sub / name;
        std::ofstream(p) << "#!/bin/sh\n";
        chmod(p.c_str(), mode);
        return p.string();
    }
    [[nodiscard]] const fs::path& path() const { return dir_; }

private:
    fs::path dir_;
};

TEST(ProfileSettings, ProbeTimeoutAndJobsAreParsedStrictly) {
    profile_settings_dir d;
    d.profile("slow", R"({"name":"slow","probe_timeout_ms":10000,"probe_jobs":4,"command":["x","{probe_args}"]})");
    d.profile("plain", R"({"name":"plain","command":["x","{probe_args}"]})");
    d.profile("tiny", R"({"name":"tiny","probe_timeout_ms":50,"command":["x","{probe_args}"]})");
    d.profile("text", R"({"name":"text","probe_timeout_ms":"10000","command":["x","{probe_args}"]})");
    d.profile("wide", R"({"name":"wide","probe_jobs":17,"command":["x","{probe_args}"]})");
    const auto slow = load_profile(d.path(), "slow");
    ASSERT_TRUE(slow) << slow.error().message;
    EXPECT_EQ(slow->probe_timeout_ms, 10000);
    EXPECT_EQ(slow->probe_jobs, 4);
    const auto plain = load_profile(d.path(), "plain");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->probe_timeout_ms, 0) << "0: the runner's default";
    EXPECT_EQ(plain->probe_jobs, 0);
    EXPECT_NE(load_profile(d.path(), "tiny").error().message.find("100..60000"), std::string::npos);
    EXPECT_NE(load_profile(d.path(), "text").error().message.find("/probe_timeout_ms"), std::string::npos);
    EXPECT_NE(load_profile(d.path(), "wide").error().message.find("1..16"), std::string::npos);
}

TEST(ProfileSettings, TheGvisorProfileGetsTheTimeItNeeds) {
    const auto p = load_profile(BOTTLE_ESCAPE_PROFILES_DIR, "bottle-docker-gvisor");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_GE(p->probe_timeout_ms, 10000) << "gVisor is slower, and a probe whose attempts cannot run side by side takes ~10 s";
    EXPECT_GT(p->probe_jobs, 1);
}

TEST(ProfileSettings, BinPlaceholdersAreFoundAndMalformedOnesNamed) {
    const auto names = bin_placeholders({"{bin:b} --x {bin:a}", "{bin:a}", "plain"});
    ASSERT_TRUE(names) << names.error().message;
    EXPECT_EQ(*names, (std::vector<std::string>{"a", "b"}));
    EXPECT_NE(bin_placeholders({"{bin:}"}).error().message.find("{bin:}"), std::string::npos);
    EXPECT_NE(bin_placeholders({"{bin:../x}"}).error().message.find("no '/'"), std::string::npos);
    EXPECT_NE(bin_placeholders({"run {bin:open"}).error().message.find("closing brace"), std::string::npos);
}

TEST(ProfileSettings, BinResolvesOnTheGivenPathInOrderAndExpands) {
    profile_settings_dir d;
    const auto first = d.program("bin", "bbx-tool");
    d.program("other", "bbx-tool");
    d.program("bin", "bbx-noexec", 0644);
    d.profile("uses", R"({"name":"uses","requires":["bbx-tool"],"env":{"T":"{bin:bbx-tool}"},
                          "command":["sh","-c","\"{bin:bbx-tool}\" --listen x; {probe_cmdline}"]})");
    const auto p = load_profile(d.path(), "uses");
    ASSERT_TRUE(p) << p.error().message;
    const auto bins = resolve_bins(*p, "relative/dir:" + (d.path() / "bin").string() + ":" + (d.path() / "other").string());
    ASSERT_TRUE(bins) << bins.error().message;
    EXPECT_EQ(bins->at("bbx-tool"), first) << "the first PATH entry that has it, as a shell would";
    expansion x;
    x.probe = "/p/bottle-probe";
    x.probe_args = {"run"};
    x.bins = *bins;
    EXPECT_EQ(expand(p->command, x).back(), "\"" + first + "\" --listen x; /p/bottle-probe run");
    EXPECT_EQ(expand(p->env.at("T"), x), first);
}

TEST(ProfileSettings, AMissingOrUndeclaredBinIsAnErrorNeverAnEmptyPath) {
    profile_settings_dir d;
    d.program("bin", "bbx-noexec", 0644);
    d.profile("missing", R"({"name":"missing","requires":["bbx-absent"],"command":["{bin:bbx-absent}","{probe_args}"]})");
    d.profile("noexec", R"({"name":"noexec","requires":["bbx-noexec"],"command":["{bin:bbx-noexec}","{probe_args}"]})");
    d.profile("undeclared", R"({"name":"undeclared","setup":["{bin:sh}","-c","true"],"command":["x","{probe_args}"]})");
    const std::string path = (d.path() / "bin").string();
    const auto missing = resolve_bins(*load_profile(d.path(), "missing"), path);
    ASSERT_FALSE(missing);
    EXPECT_TRUE(bottle::failed_with(missing, bottle::errc::not_found));
    EXPECT_NE(missing.error().message.find("'bbx-absent'"), std::string::npos) << missing.error().message;
    EXPECT_FALSE(resolve_bins(*load_profile(d.path(), "noexec"), path)) << "a file that cannot be executed is not the program";
    const auto undeclared = resolve_bins(*load_profile(d.path(), "undeclared"), "/bin:/usr/bin");
    ASSERT_FALSE(undeclared);
    EXPECT_NE(undeclared.error().message.find("/requires"), std::string::npos) << undeclared.error().message;
}

TEST(ProfileSettings, ShippedProfilesNoLongerDigForTheirPrograms) {
    for (const auto& n : list_profiles(BOTTLE_ESCAPE_PROFILES_DIR)) {
        const auto p = load_profile(BOTTLE_ESCAPE_PROFILES_DIR, n);
        ASSERT_TRUE(p) << n;
        for (const auto& a : p->command) EXPECT_EQ(a.find("/proc/$PPID"), std::string::npos) << n << ": use {bin:NAME}";
        std::vector<std::string> texts = p->command;
        texts.insert(texts.end(), p->setup.begin(), p->setup.end());
        const auto names = bin_placeholders(texts);
        ASSERT_TRUE(names) << n;
        for (const auto& b : *names)
            EXPECT_NE(std::find(p->requires_programs.begin(), p->requires_programs.end(), b), p->requires_programs.end()) << n << ": " << b;
    }
    const auto egress = load_profile(BOTTLE_ESCAPE_PROFILES_DIR, "egress-only");
    ASSERT_TRUE(egress);
    ASSERT_FALSE(egress->command.empty());
    EXPECT_NE(egress->command.back().find("{bin:bottle-egress}"), std::string::npos);
}

TEST(ProfileSettings, TheCommandLineWinsOverTheProfileAndBothReachTheProbe) {
    if (geteuid() != 0) GTEST_SKIP() << "prepare_run refuses without root";
    profile_settings_dir d;
    const auto tool = d.program("bin", "bbx-tool");
    d.profile("slow", R"({"name":"slow","requires":["bbx-tool"],"probe_timeout_ms":9000,"probe_jobs":3,
                          "command":["{bin:bbx-tool}","{probe_args}"]})");
    const char* old_path = std::getenv("PATH");
    const std::string saved = old_path ? old_path : "";
    setenv("PATH", ((d.path() / "bin").string() + ":" + saved).c_str(), 1);
    auto probe_args_of = [](const prepared_run& r) { return r.inside.probe_args; };
    auto has_pair = [](const std::vector<std::string>& v, const std::string& a, const std::string& b) {
        for (std::size_t i = 0; i + 1 < v.size(); ++i)
            if (v[i] == a && v[i + 1] == b) return true;
        return false;
    };
    run_options opt;
    opt.sandbox = "slow";
    opt.profiles_dir = d.path();
    opt.probe_binary = "/bin/true";
    opt.work_root = d.path() / "work";
    run_result res;
    const auto from_profile = prepare_run(opt, res);
    ASSERT_TRUE(from_profile) << from_profile.error().message;
    EXPECT_EQ(from_profile->probe_timeout_ms, 9000);
    EXPECT_EQ(res.probe_timeout_ms, 9000);
    EXPECT_EQ(res.probe_jobs, 3);
    EXPECT_TRUE(has_pair(probe_args_of(*from_profile), "--timeout-ms", "9000"));
    EXPECT_TRUE(has_pair(probe_args_of(*from_profile), "--jobs", "3"));
    EXPECT_EQ(from_profile->outside.bins.at("bbx-tool"), tool);
    opt.probe_timeout_ms = 2000;
    opt.probe_jobs = 1;
    run_result res2;
    const auto overridden = prepare_run(opt, res2);
    ASSERT_TRUE(overridden);
    EXPECT_EQ(res2.probe_timeout_ms, 2000);
    EXPECT_EQ(res2.probe_jobs, 1);
    EXPECT_TRUE(has_pair(probe_args_of(*overridden), "--timeout-ms", "2000"));
    const auto args = probe_args_of(*overridden);
    EXPECT_EQ(std::count(args.begin(), args.end(), "--jobs"), 0) << "one at a time needs no flag";
    d.profile("plain", R"({"name":"plain","command":["x","{probe_args}"]})");
    opt.sandbox = "plain";
    opt.probe_timeout_ms = 0;
    opt.probe_jobs = 0;
    run_result res3;
    ASSERT_TRUE(prepare_run(opt, res3));
    EXPECT_EQ(res3.probe_timeout_ms, default_probe_timeout_ms);
    EXPECT_EQ(res3.probe_jobs, 1);
    setenv("PATH", saved.c_str(), 1);
}

TEST(ProfileSettings, AHiddenBinIsStagedIntoTheRunDirectory) {
    if (geteuid() != 0) GTEST_SKIP() << "prepare_run refuses without root";
    profile_settings_dir d;  // under the temporary directory, which the lab replaces
    const auto tool = d.program("bin", "bbx-tool");
    ASSERT_TRUE(lab::hidden_in_lab(tool)) << tool;
    d.profile("hidden", R"({"name":"hidden","requires":["bbx-tool"],"command":["{bin:bbx-tool}","{probe_args}"]})");
    const char* old_path = std::getenv("PATH");
    const std::string saved = old_path ? old_path : "";
    setenv("PATH", ((d.path() / "bin").string() + ":" + saved).c_str(), 1);
    run_options opt;
    opt.sandbox = "hidden";
    opt.profiles_dir = d.path();
    opt.probe_binary = "/bin/true";
    opt.work_root = "/var/lib/bottle-escape-test";
    run_result res;
    const auto r = prepare_run(opt, res);
    setenv("PATH", saved.c_str(), 1);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->outside.bins.at("bbx-tool"), tool) << "the runner's own commands keep the host path";
    const fs::path staged = r->inside.bins.at("bbx-tool");
    EXPECT_EQ(staged, r->paths.tools() / "bin" / "bbx-tool");
    EXPECT_TRUE(std::any_of(r->tools.binds.begin(), r->tools.binds.end(),
                            [&](const lab::lab_bind& b) { return b.source == tool && b.target == staged && b.read_only; }));
}

TEST(ProfileSettings, TheReportCarriesTheDeadline) {
    run_result r;
    r.profile = "bottle-docker-gvisor";
    r.completion = {};
    r.probe_timeout_ms = 10000;
    r.probe_jobs = 4;
    const auto js = to_json(r);
    EXPECT_EQ(js.as_object().at("probe_timeout_ms"), 10000);
    EXPECT_EQ(js.as_object().at("probe_jobs"), 4);
    const auto back = run_from_json(boost::json::parse(boost::json::serialize(js)));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->probe_timeout_ms, 10000);
    EXPECT_EQ(back->probe_jobs, 4);
    std::ostringstream text;
    write_text(text, r, false, false);
    EXPECT_NE(text.str().find("probes 10000 ms each, network probes 4 side by side"), std::string::npos) << text.str();
}

}  // namespace
