// ipc.tty_inject — TIOCSTI pushes bytes into a terminal's input queue: an
// agent holding the terminal it was started from can type commands into the
// user's shell after it exits. The lab starts the sandbox in a new session
// whose controlling terminal is a lab pty (lab/lab_tty.hpp) and reads that
// terminal's input queue afterwards: this probe escaped only when its tag is
// found there.
//
// It types only into a controlling terminal that carries this run's window
// size (lab_plan.hpp tty_window): a terminal the sandbox made for itself is
// not the launcher's (a made attempt that could not reach it), and no other
// terminal is ever typed into. Inherited fds 0-2 are only looked at.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "lab/lab_plan.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <string>

namespace support = bottle::escape::probe::support;
namespace lab = bottle::escape::lab;

BOTTLE_PROBE(ipc_tty_inject, "ipc.tty_inject",
             "TIOCSTI the tag into the controlling terminal (the lab's pty); the lab reads its input queue afterwards",
             bottle::escape::probe::scoring::effect) {
    const auto legacy = support::read_file("/proc/sys/dev/tty/legacy_tiocsti");
    rep.observe("dev.tty.legacy_tiocsti=" + (legacy.ok ? legacy.data : support::errno_name(legacy.err)));
    for (int fd = 0; fd <= 2; ++fd) {
        const char* n = isatty(fd) ? ttyname(fd) : nullptr;
        rep.observe("fd " + std::to_string(fd) + (isatty(fd) ? std::string(" is a tty ") + (n ? n : "?") : " is not a tty"));
    }

    const int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (tty < 0) {
        rep.attempt("open /dev/tty (the controlling terminal)", support::errno_name(errno) + ": no terminal to type into");
        return;
    }
    winsize ws{};
    const auto want = lab::tty_window(ctx.nonce);
    if (ioctl(tty, TIOCGWINSZ, &ws) != 0 || ws.ws_row != want.rows || ws.ws_col != want.cols || ws.ws_xpixel != want.xpixel ||
        ws.ws_ypixel != want.ypixel) {
        rep.attempt("open /dev/tty (the controlling terminal)",
                    "a terminal that is not the lab's (window " + std::to_string(ws.ws_row) + "x" + std::to_string(ws.ws_col) +
                        "): the sandbox gave its own; not typed into");
        close(tty);
        return;
    }
    const std::string text = ctx.tag + "\n";
    std::size_t typed = 0;
    int err = 0;
    for (char c : text) {
        if (ioctl(tty, TIOCSTI, &c) != 0) {
            err = errno;
            break;
        }
        ++typed;
    }
    close(tty);
    rep.attempt("ioctl(TIOCSTI) the tag into the lab's controlling terminal",
                typed == text.size() ? "accepted " + std::to_string(typed) + " bytes"
                                     : "after " + std::to_string(typed) + " bytes: " + support::errno_name(err),
                typed == text.size());
}
