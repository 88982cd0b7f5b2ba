#include "bottle-preflight/preflight.hpp"

#include "support/fake_probes.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <sstream>

namespace {

using namespace bottle::preflight;
using bottle::preflight::testing::healthy_host;

struct run_output {
    int code;
    std::string out, err;
};

run_output run(std::vector<std::string> args, system_probes& p, bool colour = false) {
    std::ostringstream out, err;
    const int code = run_preflight(args, p, out, err, colour);
    return {code, out.str(), err.str()};
}

TEST(PreflightCli, HealthyHostExitsZeroWithOneLinePerCheck) {
    auto f = healthy_host();
    auto r = run({}, f);
    EXPECT_EQ(r.code, exit_ok) << r.out;
    EXPECT_TRUE(r.err.empty());
    EXPECT_NE(r.out.find("checking native, docker, smolmachines"), std::string::npos);
    EXPECT_NE(r.out.find("14 ok, 0 warn, 0 fail"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
}

TEST(PreflightCli, WarningsAloneStillExitZero) {
    auto f = healthy_host();
    f.landlock = {-1, ENOSYS};
    f.command("/usr/local/bin/smolvm --version", 0, "smolvm 1.7.0\n");
    auto r = run({}, f);
    EXPECT_EQ(r.code, exit_ok);
    EXPECT_NE(r.out.find("12 ok, 2 warn, 0 fail"), std::string::npos) << r.out;
}

TEST(PreflightCli, AnyFailureExitsOneAndAllFailuresAreListed) {
    auto f = healthy_host();
    f.on_path.erase("bwrap");
    f.open_errno["/dev/kvm"] = EACCES;
    auto r = run({}, f);
    EXPECT_EQ(r.code, exit_failed);
    EXPECT_NE(r.out.find("FAIL  native.bwrap"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("FAIL  smolvm.kvm"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("remedy: sudo usermod -aG kvm"), std::string::npos);
    EXPECT_NE(r.out.find("12 ok, 0 warn, 2 fail"), std::string::npos);
}

TEST(PreflightCli, BackendSelection) {
    auto f = healthy_host();
    f.on_path.erase("bwrap");  // fails native only
    auto docker = run({"--backend", "docker"}, f);
    EXPECT_EQ(docker.code, exit_ok) << "a native failure does not matter for --backend docker";
    EXPECT_EQ(docker.out.find("native."), std::string::npos);
    EXPECT_NE(docker.out.find("docker.runsc"), std::string::npos);
    EXPECT_EQ(run({"--backend=native"}, f).code, exit_failed);
    auto both = run({"--backend", "smolmachines", "--backend", "docker"}, f);
    EXPECT_EQ(both.code, exit_ok);
    EXPECT_NE(both.out.find("checking docker, smolmachines"), std::string::npos) << "canonical order";
    EXPECT_EQ(run({"--backend", "all"}, f).code, exit_failed);
}

TEST(PreflightCli, ParseArguments) {
    auto o = parse_arguments({"--json", "--backend", "native", "--backend", "all"});
    ASSERT_TRUE(o.has_value());
    EXPECT_TRUE(o->json);
    EXPECT_EQ(o->backends, known_backends()) << "no duplicates";
    EXPECT_EQ(parse_arguments({}).value().backends, known_backends());
}

TEST(PreflightCli, UsageErrorsExitTwoAndSayWhatWasWrong) {
    auto f = healthy_host();
    const std::pair<std::vector<std::string>, std::string> cases[] = {
        {{"--frobnicate"}, "unknown option '--frobnicate'"},
        {{"--backend", "podman"}, "unknown backend 'podman'"},
        {{"--backend=smolvm"}, "unknown backend 'smolvm'"},
        {{"--backend"}, "--backend needs a value"},
        {{"native"}, "unexpected argument 'native'"},
    };
    for (const auto& [args, message] : cases) {
        auto r = run(args, f);
        EXPECT_EQ(r.code, exit_usage) << message;
        EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("usage: bottle-preflight"), std::string::npos);
        EXPECT_TRUE(r.out.empty());
    }
    EXPECT_TRUE(f.ran.empty()) << "no check runs on a usage error";
}

TEST(PreflightCli, HelpHasAnExampleAndExitsZero) {
    auto f = healthy_host();
    auto r = run({"--help"}, f);
    EXPECT_EQ(r.code, exit_ok);
    EXPECT_NE(r.out.find("usage: bottle-preflight"), std::string::npos);
    EXPECT_NE(r.out.find("Example:"), std::string::npos);
    EXPECT_NE(r.out.find("Exit status"), std::string::npos);
    EXPECT_TRUE(f.ran.empty());
}

TEST(PreflightCli, JsonDocumentHasEveryCheck) {
    auto f = healthy_host();
    f.http.clear();  // docker daemon down: one fail, runsc warn
    auto r = run({"--json"}, f);
    EXPECT_EQ(r.code, exit_failed);
    const auto doc = boost::json::parse(r.out);
    EXPECT_EQ(bottle::report::check_schema(doc, "preflight").value(), 1u);
    const auto& o = doc.as_object();
    EXPECT_EQ(o.begin()->key(), "schema");
    EXPECT_EQ(o.at("tool").as_string(), "bottle-preflight");
    EXPECT_FALSE(o.at("ok").as_bool());
    EXPECT_EQ(o.at("backends").as_array().size(), 3u);
    EXPECT_EQ(o.at("summary").at("fail").as_int64(), 1);
    EXPECT_EQ(o.at("summary").at("warn").as_int64(), 1);
    EXPECT_EQ(o.at("summary").at("ok").as_int64(), 12);
    const auto& checks = o.at("checks").as_array();
    ASSERT_EQ(checks.size(), 14u);
    for (const auto& c : checks) {
        for (const char* key : {"id", "category", "title", "status", "found", "remedy"})
            EXPECT_TRUE(c.as_object().contains(key)) << key;
    }
    const auto& daemon = checks[8].as_object();
    EXPECT_EQ(daemon.at("id").as_string(), "docker.daemon");
    EXPECT_EQ(daemon.at("status").as_string(), "fail");
    EXPECT_NE(std::string(daemon.at("remedy").as_string()).find("systemctl start docker"), std::string::npos);
}

TEST(PreflightCli, JsonNeverColoured) {
    auto f = healthy_host();
    auto r = run({"--json"}, f, /*colour=*/true);
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
    EXPECT_TRUE(boost::json::parse(r.out).as_object().at("ok").as_bool());
}

TEST(PreflightCli, ColourOnlyWhenAsked) {
    auto f = healthy_host();
    f.on_path.erase("docker");
    auto r = run({"--backend", "docker"}, f, /*colour=*/true);
    EXPECT_NE(r.out.find("\x1b[1;31mFAIL\x1b[0m  docker.cli"), std::string::npos) << r.out;
}

}  // namespace
