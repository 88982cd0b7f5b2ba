#include "bottle-run/backends/smolmachines/plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace sm = bottle::run::smolmachines;
using bottle::manifest::bottle_spec;
using bottle::net::address_v4;

namespace {

bottle_spec dev_bottle() {
    bottle_spec b;
    b.name = "dev";
    b.lineage = {"dev"};
    b.egress = {{"api.example.com", {443}}, {"*.example.org", {}}};
    b.env = {{"LANG", "C.UTF-8"}, {"HTTPS_PROXY", "http://evil:1"}};
    b.mounts = {{"~/src/lib", "/lib-src", false}};
    b.resources.cpus = 2;
    b.resources.memory_mib = 2048;
    b.canonical = R"({"egress":[]})";
    return b;
}

sm::smolvm_request request() {
    sm::smolvm_request r;
    r.argv = {"claude", "--help"};
    r.workspace = "/home/me/app";
    r.launcher_env = {{"HOME", "/home/me"}, {"TERM", "xterm"}, {"SECRET", "x"}};
    r.bottle_id = "bb-0123456789ab";
    r.smolvm = "/usr/bin/smolvm";
    r.stage_dir = "/run/bot-bottle/bb-0123456789ab.smolvm";
    return r;
}

const address_v4 alias17 = address_v4(0x7f000011u);  // 127.0.0.17

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

/// The value after `flag` each time it occurs.
std::vector<std::string> values_of(const std::vector<std::string>& argv, const std::string& flag) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i + 1 < argv.size(); ++i)
        if (argv[i] == flag) out.push_back(argv[i + 1]);
    return out;
}

}  // namespace

TEST(SmolvmPlan, AllowlistIsExactlyTheAliasSlash32) {
    auto p = sm::plan_for(dev_bottle(), request(), alias17);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->allowlist, std::vector<std::string>{"127.0.0.17/32"});
    EXPECT_EQ(values_of(p->create, "--allow-cidr"), std::vector<std::string>{"127.0.0.17/32"});
    EXPECT_TRUE(has(p->create, "--net"));
    EXPECT_TRUE(values_of(p->create, "--allow-host").empty());  // names would widen the list
}

TEST(SmolvmPlan, ProxyVariablesPointAtTheAliasNotTheManifest) {
    auto p = sm::plan_for(dev_bottle(), request(), alias17);
    ASSERT_TRUE(p);
    for (const char* v : {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"})
        EXPECT_TRUE(has(p->env, std::string(v) + "=http://127.0.0.17:3128")) << v;
    EXPECT_TRUE(has(p->env, "NO_PROXY="));
    EXPECT_FALSE(has(p->env, "HTTPS_PROXY=http://evil:1"));
    EXPECT_TRUE(has(p->env, "LANG=C.UTF-8"));
    EXPECT_TRUE(has(p->env, "TERM=xterm"));
    EXPECT_TRUE(has(p->env, "BOT_BOTTLE_ID=bb-0123456789ab"));
    for (const auto& e : p->env) EXPECT_NE(e.rfind("SECRET=", 0), 0u) << "launcher variables must not leak: " << e;
    EXPECT_EQ(p->bundle_ports.at("egress"), 3128);
    EXPECT_EQ(p->proxy_port, 3128);
}

TEST(SmolvmPlan, CommandLinesFollowTheDocumentedCli) {
    auto p = sm::plan_for(dev_bottle(), request(), alias17);
    ASSERT_TRUE(p);
    const std::vector<std::string> head{"/usr/bin/smolvm", "machine", "create", "--name", "bb-0123456789ab", "-I", sm::default_image};
    ASSERT_GE(p->create.size(), head.size());
    EXPECT_TRUE(std::equal(head.begin(), head.end(), p->create.begin()));
    EXPECT_EQ(values_of(p->create, "--cpus"), std::vector<std::string>{"2"});
    EXPECT_EQ(values_of(p->create, "--mem"), std::vector<std::string>{"2048"});
    const auto v = values_of(p->create, "-v");
    ASSERT_GE(v.size(), 3u);
    EXPECT_EQ(v.front(), "/home/me/app:/workspace");
    EXPECT_TRUE(has(v, "/home/me/src/lib:/lib-src:ro"));
    EXPECT_EQ(v.back(), "/run/bot-bottle/bb-0123456789ab.smolvm:/run/bot-bottle:ro");
    EXPECT_EQ(p->start, (std::vector<std::string>{"/usr/bin/smolvm", "machine", "start", "-n", "bb-0123456789ab"}));
    EXPECT_EQ(p->stop, (std::vector<std::string>{"/usr/bin/smolvm", "machine", "stop", "-n", "bb-0123456789ab"}));
    EXPECT_EQ(p->remove, (std::vector<std::string>{"/usr/bin/smolvm", "machine", "delete", "-n", "bb-0123456789ab", "-f"}));
    EXPECT_EQ(p->exec, (std::vector<std::string>{"/usr/bin/smolvm", "machine", "exec", "--name", "bb-0123456789ab", "-w",
                                                 "/workspace", "--", "claude", "--help"}));
    EXPECT_EQ(p->egress.allow, (std::vector<std::string>{"api.example.com:443", "*.example.org"}));
}

TEST(SmolvmPlan, FromReplacesTheImage) {
    auto r = request();
    r.from = "/art/agent.smolmachine";
    auto p = sm::plan_for(dev_bottle(), r, alias17);
    ASSERT_TRUE(p);
    EXPECT_EQ(values_of(p->create, "--from"), std::vector<std::string>{"/art/agent.smolmachine"});
    EXPECT_FALSE(has(p->create, "-I"));  // --from conflicts with -I
}

TEST(SmolvmPlan, CredentialsStayOffCommandLinesAndOutOfTheRecord) {
    auto r = request();
    r.credential_env = {{"ANTHROPIC_API_KEY", "sk-it's-secret"}};
    auto p = sm::plan_for(dev_bottle(), r, alias17);
    ASSERT_TRUE(p);
    for (const auto* argv : {&p->create, &p->exec, &p->start})
        for (const auto& a : *argv) EXPECT_EQ(a.find("sk-it"), std::string::npos) << a;
    for (const auto& e : p->env) EXPECT_EQ(e.find("sk-it"), std::string::npos);
    auto f = std::find_if(p->stage.begin(), p->stage.end(), [](const sm::stage_file& s) { return s.name == "credentials.env"; });
    ASSERT_NE(f, p->stage.end());
    EXPECT_EQ(f->mode, 0600u);
    EXPECT_EQ(f->content, "ANTHROPIC_API_KEY='sk-it'\\''s-secret'\n");
    EXPECT_EQ(p->exec.back(), "--help");
    EXPECT_TRUE(has(p->exec, "/bin/sh"));
    const auto json = boost::json::serialize(sm::to_json(*p));
    EXPECT_EQ(json.find("sk-it"), std::string::npos);
    EXPECT_NE(json.find("ANTHROPIC_API_KEY"), std::string::npos);
}

TEST(SmolvmPlan, StageFilesDescribeTheMachine) {
    auto p = sm::plan_for(dev_bottle(), request(), alias17);
    ASSERT_TRUE(p);
    std::map<std::string, std::string> files;
    for (const auto& f : p->stage) files[f.name] = f.content;
    EXPECT_EQ(files.count("credentials.env"), 0u);
    EXPECT_EQ(files["egress.routes"], "api.example.com:443\n*.example.org\n");
    EXPECT_NE(files["guest.env"].find("HTTPS_PROXY=http://127.0.0.17:3128\n"), std::string::npos);
    EXPECT_NE(files["Smolfile"].find("allow_cidrs = [\"127.0.0.17/32\"]"), std::string::npos);
    EXPECT_EQ(files["bottle.json"], "{\"egress\":[]}\n");
}

TEST(SmolvmPlan, RefusesWhatCannotBeConfined) {
    auto b = dev_bottle();
    EXPECT_FALSE(sm::plan_for(b, request(), address_v4(0x7f000001u)));  // the host's own loopback
    EXPECT_FALSE(sm::plan_for(b, request(), address_v4(0x0a000001u)));  // not loopback
    auto r = request();
    r.argv.clear();
    EXPECT_FALSE(sm::plan_for(b, r, alias17));
    r = request();
    r.bottle_id = "bad name";
    EXPECT_FALSE(sm::plan_for(b, r, alias17));
    r = request();
    r.workspace = "relative";
    EXPECT_FALSE(sm::plan_for(b, r, alias17));
    for (const char* guest : {"/", "/etc", "/run/bot-bottle", "/proc/sys", "/workspace"}) {
        auto bb = dev_bottle();
        bb.mounts = {{"/data", guest, false}};
        EXPECT_FALSE(sm::plan_for(bb, request(), alias17)) << guest;
    }
    auto bb = dev_bottle();
    bb.mounts = {{"rel/dir", "/data", false}};
    EXPECT_FALSE(sm::plan_for(bb, request(), alias17));
    bb.backend = bottle::manifest::backend_kind::native;
    bb.mounts.clear();
    EXPECT_FALSE(sm::plan_for(bb, request(), alias17));
}

TEST(SmolvmVersion, Parses) {
    EXPECT_EQ(sm::parse_version("smolvm 1.9.2"), (sm::smolvm_version{1, 9, 2}));
    EXPECT_EQ(sm::parse_version("smolvm v1.8 (abc123)"), (sm::smolvm_version{1, 8, 0}));
    EXPECT_EQ(sm::parse_version("smolvm-cli 0.6.1\n"), (sm::smolvm_version{0, 6, 1}));
    EXPECT_FALSE(sm::parse_version("smolvm dev build"));
    EXPECT_FALSE(sm::parse_version("smolvm 1"));
    EXPECT_FALSE(sm::parse_version("smolvm 1234567.1.1"));
}

TEST(SmolvmVersion, Policy) {
    EXPECT_FALSE(sm::judge_version(std::nullopt, false).allowed);  // unknown: refused
    auto old = sm::judge_version(sm::smolvm_version{1, 1, 2}, false);
    EXPECT_FALSE(old.allowed);
    EXPECT_NE(old.message.find("docs/smolvm.md"), std::string::npos);
    EXPECT_TRUE(sm::judge_version(sm::smolvm_version{1, 1, 3}, false).allowed);
    auto from = sm::judge_version(sm::smolvm_version{1, 7, 7}, true);
    EXPECT_TRUE(from.allowed);
    EXPECT_TRUE(from.expect_dropped_allowlist);
    EXPECT_NE(from.message.find("docs/smolvm.md"), std::string::npos);
    EXPECT_FALSE(sm::judge_version(sm::smolvm_version{1, 7, 7}, false).expect_dropped_allowlist);
    EXPECT_FALSE(sm::judge_version(sm::smolvm_version{1, 8, 0}, true).expect_dropped_allowlist);
    EXPECT_TRUE(sm::judge_version(sm::smolvm_version{2, 0, 0}, true).allowed);
}

TEST(SmolvmPlan, ProtectedWorkspacePathsAreReadOnlySharesAfterTheWorkspace) {
    auto p = sm::plan_for(dev_bottle(), request(), alias17);
    ASSERT_TRUE(p);
    const auto v = values_of(p->create, "-v");
    for (const char* sub : {".git", ".husky", ".githooks", ".vscode", ".idea", ".devcontainer", ".claude", ".github/workflows"}) {
        const std::string want = std::string("/home/me/app/") + sub + ":/workspace/" + sub + ":ro";
        auto at = std::find(v.begin(), v.end(), want);
        ASSERT_NE(at, v.end()) << want;
        EXPECT_GT(at - v.begin(), 0) << "after the workspace's share, so it lies on top";
    }
    // .github is its own (writable) share: a mount point cannot be renamed aside.
    EXPECT_TRUE(has(v, "/home/me/app/.github:/workspace/.github"));
    auto b = dev_bottle();
    for (const char* guest : {"/workspace/.git", "/workspace/.git/hooks", "/workspace/.github/workflows"}) {
        b.mounts = {{"/data", guest, true}};
        EXPECT_FALSE(sm::plan_for(b, request(), alias17)) << guest;
    }
    b.mounts = {{"/data", "/workspace/src", true}};
    EXPECT_TRUE(sm::plan_for(b, request(), alias17));
    auto r = request();
    r.workspace.reset();
    auto q = sm::plan_for(dev_bottle(), r, alias17);
    ASSERT_TRUE(q);
    for (const auto& x : values_of(q->create, "-v")) EXPECT_EQ(x.find("/workspace"), std::string::npos) << x;
}
