// explain and the command line, from hand-made facts and arguments.
#include "bottle-run/explain.hpp"
#include "bottle-run/run_cli.hpp"

#include <gtest/gtest.h>

namespace {

using namespace bottle::run;

std::string status_of(const std::vector<protection>& l, const std::string& name) {
    for (const auto& p : l)
        if (p.name == name) return p.status;
    return "absent";
}

TEST(RunExplain, SaysWhatIsMissingAndWhy) {
    host_facts f;
    f.euid = 1000;
    f.userns = false;
    f.userns_why = "unshare(CLONE_NEWUSER): Operation not permitted";
    f.landlock_abi = 3;
    f.cgroups = cgroup_version::v1;
    f.v1_controllers = {"memory"};
    f.cgroup_writable = false;
    const auto l = explain(f);
    EXPECT_EQ(status_of(l, "user-namespaces"), "missing");
    EXPECT_EQ(status_of(l, "landlock-fs"), "active");
    EXPECT_EQ(status_of(l, "landlock-tcp"), "missing");
    EXPECT_EQ(status_of(l, "landlock-scopes"), "missing");
    EXPECT_EQ(status_of(l, "resources"), "partial");
    EXPECT_EQ(status_of(l, "seccomp"), "missing");
    for (const auto& p : l) {
        if (p.status != "active") {
            EXPECT_FALSE(p.remedy.empty()) << p.name;
        }
    }
    const auto text = explain_text(l);
    EXPECT_NE(text.find("Landlock ABI 3 < 4"), std::string::npos);
}

TEST(RunExplain, AllActiveOnAFullHost) {
    host_facts f;
    f.userns = true;
    f.seccomp = true;
    f.landlock_abi = 6;
    f.cgroups = cgroup_version::v2;
    f.cgroup_root = "/sys/fs/cgroup";
    f.cgroup_writable = true;
    for (const auto& p : explain(f)) EXPECT_EQ(p.status, "active") << p.name;
}

TEST(RunCli, OptionsEndAtTheCommand) {
    auto o = parse_arguments({"--bottle", "dev", "ls", "--json"});
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->command, "ls");
    EXPECT_TRUE(o->json);
    EXPECT_FALSE(parse_arguments({"ls", "-l"})) << "ls has no -l: refused, not passed on";
    o = parse_arguments({"--bottle", "dev", "--", "ls", "-l"});
    ASSERT_TRUE(o);
    EXPECT_EQ(o->command, "run");
    EXPECT_EQ(o->argv, (std::vector<std::string>{"ls", "-l"}));
    EXPECT_EQ(o->bottles, (std::vector<std::string>{"dev"}));
    o = parse_arguments({"--dry-run", "make", "--bottle", "x"});
    ASSERT_TRUE(o);
    EXPECT_EQ(o->argv, (std::vector<std::string>{"make", "--bottle", "x"})) << "the command's options are its own";
    EXPECT_TRUE(o->dry_run);
}

TEST(RunCli, Subcommands) {
    auto o = parse_arguments({"agent", "claude", "--bottle", "gpu", "--", "--resume"});
    ASSERT_TRUE(o);
    EXPECT_EQ(o->command, "agent");
    EXPECT_EQ(o->target, "claude");
    EXPECT_EQ(o->argv, (std::vector<std::string>{"--resume"}));
    EXPECT_TRUE(parse_arguments({"explain", "--json"}));
    EXPECT_TRUE(parse_arguments({"stop", "bb-1"}));
    EXPECT_FALSE(parse_arguments({"stop"}));
    EXPECT_FALSE(parse_arguments({"agent"}));
    EXPECT_FALSE(parse_arguments({}));
    EXPECT_FALSE(parse_arguments({"--frob", "--", "true"}));
    // --backend is only read here; select_backend decides (with BOT_BOTTLE_BACKEND
    // and the bottle's own) and refuses what is not built (run_agent_test.cpp).
    auto b = parse_arguments({"--backend", "docker", "--", "true"});
    ASSERT_TRUE(b);
    EXPECT_EQ(b->backend, std::optional<std::string>("docker"));
    EXPECT_FALSE(parse_arguments({"--manifest", "a", "--manifest", "b", "--", "true"}));
    EXPECT_FALSE(parse_arguments({"gc", "--", "x"}));
}

}  // namespace
