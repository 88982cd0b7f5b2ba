// bottle-agent-start — the first program of a docker bottle's agent
// container: waits for the launcher's go, then executes the agent's command
// in its place (same process, same pid under docker-init, nothing left
// running but the forwarder below). Bind-mounted read-only at
// /.bottle-agent-start as the entrypoint; linked statically (it runs in any
// image), libc and pthreads only.
//
//   bottle-agent-start [--forward ADDR:PORT=SOCKET_PATH] [--login SOURCE=RELATIVE]... --tty|--go -- COMMAND [ARG...]
//
//   --tty
//       waits (at most 30 s) until its terminal has a size. Docker 20.10
//       (API 1.41) creates a container's terminal without one and can only
//       set it once the container runs, by which time the agent may already
//       have asked (`stty size` failed). The launcher sends the size once
//       the bottle is ready (the sidecar too, when there is one).
//   --go
//       reads one byte from stdin, which the launcher writes once the
//       sidecar's proxy is ready: so the agent's container can be started
//       while the sidecar starts, and the agent runs only when its proxy
//       answers. End of file instead (the launcher is gone): exit 125, the
//       agent never runs.
//   --forward 127.0.0.1:3128=/run/bottle-egress/egress.sock
//       for an agent container without a network (loopback only): listens
//       on the TCP address (IPv4) before waiting, and once the wait is over
//       starts a relay of every connection to the unix socket (the proxy's,
//       in a bind-mounted directory); see tcp_forwarder.hpp. The relay is no
//       child of COMMAND (a shell's `wait` never waits for it) and holds
//       none of its descriptors; it lives as long as the container.
//   --login /.bottle-login/0=.codex/auth.json
//       once the wait is over, copies the read-only file SOURCE (the
//       launcher's private copy of a provider's login) to $HOME/RELATIVE:
//       0600, parents 0700, never through a symlink (login_copy.hpp).
//
// Exit: 127 when COMMAND is not found, 126 when it cannot be executed (as
// bottle-run reports for the native backend), 125 as above or when the
// forwarder's address cannot be listened on (in use, not local) or its
// relay cannot be started, or when a login cannot be placed, 2 for a usage
// error (a --forward or --login value refused says why).
#include "login_copy.hpp"
#include "tcp_forwarder.hpp"

#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

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

namespace {

int agent_start_usage() {
    std::fputs("usage: bottle-agent-start [--forward ADDR:PORT=SOCKET_PATH] [--login SOURCE=RELATIVE]... --tty|--go -- COMMAND [ARG...]\n", stderr);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    namespace start = bottle::agent_start;
    int next = 1;
    std::optional<start::forward_spec> forward;
    std::vector<start::login_spec> logins;
    while (next + 1 < argc && (std::strcmp(argv[next], "--forward") == 0 || std::strcmp(argv[next], "--login") == 0)) {
        std::string why;
        const bool is_forward = std::strcmp(argv[next], "--forward") == 0;
        if (is_forward && !forward) forward = start::parse_forward_spec(argv[next + 1], why);
        else if (is_forward) why = "given twice";
        else if (auto l = start::parse_login_spec(argv[next + 1], why)) logins.push_back(std::move(*l));
        if (!why.empty()) {
            std::fprintf(stderr, "bottle-agent-start: %s %s: %s\n", argv[next], argv[next + 1], why.c_str());
            return agent_start_usage();
        }
        next += 2;
    }
    if (argc - next < 3 || std::strcmp(argv[next + 1], "--") != 0 ||
        (std::strcmp(argv[next], "--tty") != 0 && std::strcmp(argv[next], "--go") != 0))
        return agent_start_usage();
    int listener = -1;
    if (forward) {
        listener = start::listen_for_forward(*forward);
        if (listener < 0) {
            std::fprintf(stderr, "bottle-run: the egress forwarder cannot listen on %s: %s; the agent was not started\n",
                         forward->address_text.c_str(), std::strerror(errno));
            return 125;
        }
    }
    if (std::strcmp(argv[next], "--tty") == 0) wait_for_terminal_size();
    else if (!wait_for_go()) {
        std::fputs("bottle-run: the launcher went away before the bottle was ready; the agent was not started\n", stderr);
        return 125;
    }
    // The forwarded logins, into the HOME that exists now (a tmpfs of the container's).
    for (const auto& l : logins) {
        std::string why;
        if (!start::place_login(l, std::getenv("HOME"), why)) {
            std::fprintf(stderr, "bottle-run: the forwarded login could not be placed in HOME: %s; the agent was not started\n", why.c_str());
            return 125;
        }
    }
    // The relay starts only now: a launcher gone before the go leaves none.
    if (forward) {
        if (!start::start_forward_relay(listener, forward->socket_path)) {
            std::fprintf(stderr, "bottle-run: the egress forwarder to %s could not be started: %s; the agent was not started\n",
                         forward->socket_path.c_str(), std::strerror(errno));
            return 125;
        }
        ::close(listener);
    }
    char** command = argv + next + 2;
    ::execvp(command[0], command);
    const int e = errno;
    std::fprintf(stderr, "bottle-run: %s: %s\n", command[0], std::strerror(e));
    return e == ENOENT || e == ENOTDIR ? 127 : 126;
}
