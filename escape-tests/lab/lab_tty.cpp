#include "lab_tty.hpp"

#include "lab_plan.hpp"
#include "log_file.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace bottle::escape::lab {

lab_tty::~lab_tty() {
    for (int fd : {master_, slave_})
        if (fd >= 0) close(fd);
}

result<void> lab_tty::open(const std::string& nonce) {
    auto fail = [](const std::string& what) {
        return make_error(errc::io_error, "stage the lab terminal: " + what + ": " + std::strerror(errno));
    };
    master_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0) return fail("posix_openpt");
    if (grantpt(master_) != 0 || unlockpt(master_) != 0) return fail("grantpt/unlockpt");
    const char* n = ptsname(master_);
    if (n == nullptr) return fail("ptsname");
    name_ = n;
    slave_ = ::open(name_.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave_ < 0) return fail("open " + name_);
    // Raw: what is injected is readable without a newline and is not echoed.
    termios t{};
    if (tcgetattr(slave_, &t) != 0) return fail("tcgetattr");
    cfmakeraw(&t);
    if (tcsetattr(slave_, TCSANOW, &t) != 0) return fail("tcsetattr");
    const auto w = tty_window(nonce);
    winsize ws{w.rows, w.cols, w.xpixel, w.ypixel};
    if (ioctl(slave_, TIOCSWINSZ, &ws) != 0) return fail("TIOCSWINSZ");
    return {};
}

bool lab_tty::attach_as_controlling(int stdin_fd) const {
    if (slave_ < 0) return false;
    if (setsid() < 0 || ioctl(slave_, TIOCSCTTY, 0) != 0) return false;
    // The sandbox's stdin is the terminal too.
    return dup2(slave_, stdin_fd) == stdin_fd;
}

std::optional<protocol::lab_event> lab_tty::drain_input() const {
    if (slave_ < 0) return std::nullopt;
    std::string queued;
    char buf[4096];
    // Raw mode (VMIN 1): a read returns what is queued once poll says so.
    while (queued.size() < 64 * 1024) {
        pollfd p{slave_, POLLIN, 0};
        const int r = poll(&p, 1, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0 || !(p.revents & POLLIN)) break;
        const ssize_t n = read(slave_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        queued.append(buf, static_cast<std::size_t>(n));
    }
    if (queued.empty()) return std::nullopt;
    return protocol::lab_event{"host.tty", "tty", name_, "", queued, wall_ms()};
}

}  // namespace bottle::escape::lab
