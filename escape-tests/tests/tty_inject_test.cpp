// ipc.tty_inject: the lab's terminal (lab/lab_tty.hpp) shows what waits in
// its input queue, and the verdict comes only from that (score.hpp,
// applicability.hpp).
#include "lab/lab_plan.hpp"
#include "lab/lab_tty.hpp"
#include "runner/score.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

namespace {

using namespace bottle::escape;

const std::string tty_nonce = "0123456789ab";

TEST(LabTty, CarriesTheRunsWindowSizeAndShowsItsInputQueue) {
    lab::lab_tty tty;
    ASSERT_TRUE(tty.open(tty_nonce)) << "this machine cannot open a pty";
    const int slave = open(tty.name().c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(slave, 0);
    winsize ws{};
    ASSERT_EQ(ioctl(slave, TIOCGWINSZ, &ws), 0);
    const auto want = lab::tty_window(tty_nonce);
    EXPECT_EQ(ws.ws_row, want.rows);
    EXPECT_EQ(ws.ws_xpixel, want.xpixel);
    EXPECT_NE(lab::tty_window("ffffffffffff").xpixel, want.xpixel) << "another run's terminal differs";
    EXPECT_FALSE(tty.drain_input()) << "nothing queued yet";
    // Bytes pushed into the queue the way TIOCSTI does (as root: no
    // controlling terminal needed); without root, the test cannot push them.
    const std::string text = "bbx-" + tty_nonce + "-ipc-tty-inject\n";
    bool pushed = true;
    for (char c : text) pushed = pushed && ioctl(slave, TIOCSTI, &c) == 0;
    close(slave);
    if (!pushed) GTEST_SKIP() << "TIOCSTI refused here (not root, or dev.tty.legacy_tiocsti=0)";
    const auto e = tty.drain_input();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->sink, "host.tty");
    EXPECT_EQ(e->data, text);
    EXPECT_FALSE(tty.drain_input()) << "drained";
}

probe_report made_attempt() {
    probe_report r;
    r.id = "ipc.tty_inject";
    r.tag = "bbx-" + tty_nonce + "-ipc-tty-inject";
    r.status = probe_status::ran;
    r.attempts = {{"", "ioctl(TIOCSTI)", "accepted 32 bytes", true, true, ""}};
    return r;
}

TEST(TtyInjectVerdict, EscapedOnlyFromTheLabsTerminal) {
    const std::vector<probe_meta> probes{{"ipc.tty_inject", "", protocol::scoring::effect, {}}};
    ground_truth t;
    t.nonce = tty_nonce;
    t.lab_host["tiocsti"] = "yes";
    // The kernel accepted the calls, but nothing reached the lab's terminal:
    // the sandbox gave the probe a terminal of its own.
    auto v = score(probes, {made_attempt()}, t);
    EXPECT_EQ(v[0].result, verdict::blocked);
    t.events = {{"host.tty", "tty", "/dev/pts/3", "", "bbx-ffffffffffff-ipc-tty-inject\n", 0}};
    EXPECT_EQ(score(probes, {made_attempt()}, t)[0].result, verdict::blocked) << "another run's tag";
    t.events = {{"host.tty", "tty", "/dev/pts/3", "", "bbx-" + tty_nonce + "-ipc-tty-inject\n", 0}};
    v = score(probes, {made_attempt()}, t);
    EXPECT_EQ(v[0].result, verdict::escaped);
    ASSERT_FALSE(v[0].evidence.empty());
    EXPECT_EQ(v[0].evidence[0].kind, "effect");
}

TEST(TtyInjectVerdict, NotApplicableWhereTheKernelForbidsItAnyway) {
    const std::vector<probe_meta> probes{{"ipc.tty_inject", "", protocol::scoring::effect, {}}};
    ground_truth t;
    t.nonce = tty_nonce;
    t.lab_host["tiocsti"] = "no";
    EXPECT_EQ(score(probes, {made_attempt()}, t)[0].result, verdict::not_applicable);
}

}  // namespace
