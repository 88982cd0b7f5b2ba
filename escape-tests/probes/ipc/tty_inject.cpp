// ipc.tty_inject — TIOCSTI pushes bytes into a terminal's input queue: an agent
// holding the user's terminal could type commands into the user's shell after
// it exits. Tested only on a pty pair this probe creates (never the inherited
// terminal); on inherited fds only isatty/ttyname and the read-only TIOCLINUX
// shift-state query are used.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <fcntl.h>
#include <linux/tiocl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <string>

namespace support = bottle::escape::probe::support;

namespace {

struct pty_pair {
    int master = -1, slave = -1;
    std::string name, error;
};

pty_pair open_pty(bool make_controlling) {
    pty_pair p;
    p.master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (p.master < 0) {
        p.error = "posix_openpt: " + support::errno_name(errno);
        return p;
    }
    if (grantpt(p.master) != 0 || unlockpt(p.master) != 0) {
        p.error = "grantpt/unlockpt: " + support::errno_name(errno);
        return p;
    }
    const char* n = ptsname(p.master);
    p.name = n ? n : "";
    p.slave = open(p.name.c_str(), O_RDWR | O_CLOEXEC | (make_controlling ? 0 : O_NOCTTY));
    if (p.slave < 0) p.error = "open " + p.name + ": " + support::errno_name(errno);
    return p;
}

}  // namespace

BOTTLE_PROBE(ipc_tty_inject, "ipc.tty_inject",
             "TIOCSTI on a pty pair the probe creates (plain and as controlling tty); TIOCLINUX/isatty on inherited fds",
             bottle::escape::probe::scoring::self) {
    const auto legacy = support::read_file("/proc/sys/dev/tty/legacy_tiocsti");
    rep.observe("dev.tty.legacy_tiocsti=" + (legacy.ok ? legacy.data : support::errno_name(legacy.err)));

    // Inherited terminals: look, do not touch.
    for (int fd = 0; fd <= 2; ++fd) {
        if (!isatty(fd)) {
            rep.attempt("isatty(" + std::to_string(fd) + ")", "not a tty");
            continue;
        }
        const char* n = ttyname(fd);
        char sub = TIOCL_GETSHIFTSTATE;
        const int r = ioctl(fd, TIOCLINUX, &sub);
        rep.attempt("isatty(" + std::to_string(fd) + ") " + (n ? n : "?") + "; TIOCLINUX GETSHIFTSTATE",
                    r == 0 ? "TIOCLINUX answered (a virtual console)" : support::errno_name(errno));
    }
    const int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    rep.attempt("open /dev/tty (controlling terminal)", tty >= 0 ? "opened (not used for injection)" : support::errno_name(errno));
    if (tty >= 0) close(tty);

    // TIOCSTI on our own pty, not our controlling tty (needs CAP_SYS_ADMIN).
    {
        auto p = open_pty(false);
        if (!p.error.empty()) {
            rep.attempt("create pty pair", p.error);
        } else {
            const char c = '#';
            const int r = ioctl(p.slave, TIOCSTI, &c);
            rep.attempt("ioctl(TIOCSTI) on own pty " + p.name + " (not controlling)", r == 0 ? "accepted" : support::errno_name(errno),
                        r == 0);
        }
        if (p.slave >= 0) close(p.slave);
        if (p.master >= 0) close(p.master);
    }

    // The real attack shape: the pty is the caller's controlling terminal.
    const auto child = support::run_in_child(
        [](int out) {
            if (setsid() < 0) {
                support::write_all(out, "setsid: " + support::errno_name(errno));
                return;
            }
            auto p = open_pty(true);
            if (!p.error.empty()) {
                support::write_all(out, p.error);
                return;
            }
            ioctl(p.slave, TIOCSCTTY, 0);
            const char c = '#';
            const int r = ioctl(p.slave, TIOCSTI, &c);
            support::write_all(out, r == 0 ? "accepted" : support::errno_name(errno));
        },
        1000);
    rep.attempt("ioctl(TIOCSTI) on own pty as controlling tty (setsid child)",
                child.out.empty() ? child.describe() : child.out, child.out == "accepted");
}
