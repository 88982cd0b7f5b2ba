#include "bottle-run/backends/native/pty.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace bottle::run::native {

result<pty_pair> open_pty(int like) {
    pty_pair p;
    p.master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!p.master) return make_error(errc::io_error, std::string("pty: posix_openpt: ") + std::strerror(errno));
    if (::grantpt(p.master.get()) != 0 || ::unlockpt(p.master.get()) != 0)
        return make_error(errc::io_error, std::string("pty: unlockpt: ") + std::strerror(errno));
    char name[128];
    if (::ptsname_r(p.master.get(), name, sizeof name) != 0) return make_error(errc::io_error, std::string("pty: ptsname: ") + std::strerror(errno));
    p.slave.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!p.slave) return make_error(errc::io_error, std::string("pty: open ") + name + ": " + std::strerror(errno));
    termios t{};
    if (::tcgetattr(like, &t) == 0) ::tcsetattr(p.slave.get(), TCSANOW, &t);  // the user's line settings
    copy_window_size(like, p.master.get());
    return p;
}

void copy_window_size(int from, int to) noexcept {
    winsize ws{};
    if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

result<raw_terminal> raw_terminal::enter(int fd) {
    termios saved{};
    if (::tcgetattr(fd, &saved) != 0) return make_error(errc::io_error, std::string("pty: tcgetattr: ") + std::strerror(errno));
    termios raw = saved;
    ::cfmakeraw(&raw);
    if (::tcsetattr(fd, TCSANOW, &raw) != 0) return make_error(errc::io_error, std::string("pty: raw mode: ") + std::strerror(errno));
    return raw_terminal(fd, saved);
}

raw_terminal::~raw_terminal() {
    if (fd_ >= 0) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
}

result<void> attach_terminal(int slave) {
    if (::setsid() < 0) return make_error(errc::io_error, std::string("pty: setsid: ") + std::strerror(errno));
    if (::ioctl(slave, TIOCSCTTY, 0) != 0) return make_error(errc::io_error, std::string("pty: TIOCSCTTY: ") + std::strerror(errno));
    for (int fd = 0; fd < 3; ++fd)
        if (::dup2(slave, fd) < 0) return make_error(errc::io_error, std::string("pty: dup2: ") + std::strerror(errno));
    return {};
}

bool pump(int from, int to) noexcept {
    char buf[16384];
    const ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n <= 0) return false;
    for (ssize_t off = 0; off < n;) {
        const ssize_t w = ::write(to, buf + off, static_cast<std::size_t>(n - off));
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        off += w;
    }
    return true;
}

}  // namespace bottle::run::native
