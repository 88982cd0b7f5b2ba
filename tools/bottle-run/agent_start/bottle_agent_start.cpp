// bottle-agent-start — the first program of a docker bottle's agent
// container: waits for the launcher's go, then executes the agent's command
// in its place (same process, same pid under docker-init, nothing left
// running). Bind-mounted read-only at /.bottle-agent-start as the
// entrypoint; linked statically (it runs in any image), libc only.
//
//   bottle-agent-start --tty -- COMMAND [ARG...]
//       waits (at most 30 s) until its terminal has a size. Docker 20.10
//       (API 1.41) creates a container's terminal without one and can only
//       set it once the container runs, by which time the agent may already
//       have asked (`stty size` failed). The launcher sends the size once
//       the bottle is ready (the sidecar too, when there is one).
//   bottle-agent-start --go -- COMMAND [ARG...]
//       reads one byte from stdin, which the launcher writes once the
//       sidecar's proxy is ready: so the agent's container can be started
//       while the sidecar starts, and the agent runs only when its proxy
//       answers. End of file instead (the launcher is gone): exit 125, the
//       agent never runs.
// Exit: 127 when COMMAND is not found, 126 when it cannot be executed (as
// bottle-run reports for the native backend), 125 as above, 2 for a usage
// error.
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace {

void wait_for_terminal_size() {
    if (!::isatty(STDIN_FILENO)) return;
    const timespec tick{0, 1'000'000};  // 1 ms
    for (int i = 0; i < 30'000; ++i) {
        winsize ws{};
        if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0 || (ws.ws_row > 0 && ws.ws_col > 0)) return;
        ::nanosleep(&tick, nullptr);
    }
}

bool wait_for_go() {
    char go = 0;
    while (true) {
        const ssize_t n = ::read(STDIN_FILENO, &go, 1);
        if (n == 1) return true;
        if (n < 0 && errno == EINTR) continue;
        return false;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4 || std::strcmp(argv[2], "--") != 0 || (std::strcmp(argv[1], "--tty") != 0 && std::strcmp(argv[1], "--go") != 0)) {
        std::fputs("usage: bottle-agent-start --tty|--go -- COMMAND [ARG...]\n", stderr);
        return 2;
    }
    if (std::strcmp(argv[1], "--tty") == 0) wait_for_terminal_size();
    else if (!wait_for_go()) {
        std::fputs("bottle-run: the launcher went away before the bottle was ready; the agent was not started\n", stderr);
        return 125;
    }
    ::execvp(argv[3], argv + 3);
    const int e = errno;
    std::fprintf(stderr, "bottle-run: %s: %s\n", argv[3], std::strerror(e));
    return e == ENOENT || e == ENOTDIR ? 127 : 126;
}
