#include "runner/truth.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

namespace {

namespace fs = std::filesystem;
using namespace bottle::escape;
namespace protocol = bottle::escape::protocol;

const std::string truth_nonce = "0123456789ab";

class TruthTest : public ::testing::Test {
protected:
    void SetUp() override {
        paths.root = fs::temp_directory_path() / ("bbx-truth-" + std::to_string(getpid()));
        for (const auto& d : {paths.logs(), paths.state(), paths.home(), paths.run() / "bbx"}) fs::create_directories(d);
    }
    void TearDown() override { fs::remove_all(paths.root); }
    void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::app) << text; }
    lab::run_paths paths;
};

TEST_F(TruthTest, ReadsEveryLogAndSkipsLinesItCannotDecode) {
    protocol::probe_line p;
    p.id = "net.icmp";
    p.status = protocol::probe_status::ran;
    write(paths.logs() / "probe.jsonl", "sandbox banner\n" + protocol::encode(p) + "\n{\"probe\":\"x\",\"status\":\"escaped\"}\n");
    write(paths.logs() / "world.jsonl",
          protocol::encode(protocol::lab_event{"world.tcp", "tcp", "203.0.113.10:80", "p", "bbx-" + truth_nonce + "-net-icmp"}) +
              "\nnot json\n");
    write(paths.logs() / "canary.jsonl", protocol::encode(protocol::lab_event{"host.canary_process", "signal", "", "", ""}) + "\n");
    write(paths.logs() / "host-status.jsonl",
          protocol::encode(protocol::host_status{protocol::host_status::kind::sandbox_exit, "0"}) + "\n");
    write(paths.run() / "bbx/canary.pid", "42\n");
    write(paths.logs() / "sandbox.stderr", "warning: x\n");
    const auto c = collect_truth(paths, truth_nonce, {{"ssh_key", "tok"}});
    ASSERT_EQ(c.reports.size(), 1u);
    EXPECT_EQ(c.reports[0].id, "net.icmp");
    EXPECT_EQ(c.truth.events.size(), 2u);
    EXPECT_FALSE(c.host_error);
    EXPECT_EQ(c.sandbox_exit, "0");
    EXPECT_EQ(c.sandbox_stderr, "warning: x\n");
    EXPECT_EQ(c.truth.tokens.at("ssh_key"), "tok");
    EXPECT_EQ(c.truth.facts.at("canary_pid"), "42");
    EXPECT_EQ(c.truth.facts.at("lab_link_v4"), "10.200.0.2");
}

TEST_F(TruthTest, TheFirstHostErrorWinsAndAnUnreadableStatusIsAnError) {
    write(paths.logs() / "host-status.jsonl",
          protocol::encode(protocol::host_status{protocol::host_status::kind::error, "setup failed"}) + "\n" +
              protocol::encode(protocol::host_status{protocol::host_status::kind::error, "later"}) + "\n");
    const auto c = collect_truth(paths, truth_nonce, {});
    ASSERT_TRUE(c.host_error);
    EXPECT_EQ(c.host_error->message, "setup failed");
    TearDown();
    SetUp();
    write(paths.logs() / "host-status.jsonl", "{\"error\":\n");
    const auto broken = collect_truth(paths, truth_nonce, {});
    ASSERT_TRUE(broken.host_error);
    EXPECT_NE(broken.host_error->message.find("unreadable lab host status"), std::string::npos);
}

TEST_F(TruthTest, MarkersAreFoundOutsideLogsAndStateOnly) {
    const std::string tag = "bbx-" + truth_nonce + "-fs-write-outside";
    write(paths.home() / (".bbx-marker-" + tag), "x");
    write(paths.logs() / ("probe-" + tag), "x");
    write(paths.state() / ("state-" + tag), "x");
    write(paths.home() / ".bbx-marker-bbx-ffffffffffff-fs-write-outside", "another run");
    fs::create_directories(paths.workspace() / ".git/hooks");
    write(paths.workspace() / ".git/config", "[core]\n\thooksPath = /tmp/" + tag + "\n");
    write(paths.workspace() / ".git/hooks/post-checkout", "#!/bin/sh\n# " + tag + "\n");
    write(paths.workspace() / ".git/hooks/pre-commit", "#!/bin/sh\n# nothing of this run\n");
    auto markers = find_markers(paths, truth_nonce);
    ASSERT_EQ(markers.size(), 3u);
    EXPECT_EQ(markers[1].proto, "content");
    EXPECT_EQ(markers[1].local, "workspace/.git/config");
    EXPECT_NE(markers[1].data.find(tag), std::string::npos);
    EXPECT_EQ(markers[2].local, "workspace/.git/hooks/post-checkout");
    markers.resize(1);
    EXPECT_EQ(markers[0].sink, "marker");
    EXPECT_EQ(markers[0].local, "home/.bbx-marker-" + tag);
}

}  // namespace
