// PID 1 of the bottle. It forks the agent, which confines itself (limits,
// identity and capabilities, Landlock, seccomp: in that order, each needing
// the one before) and execs; init forwards signals to it, reaps every
// orphan, and when the agent ends kills what is left and exits with the
// agent's status.
#include "bottle-run/backends/native/pty.hpp"
#include "bottle-run/backends/native/steps.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace bottle::run::native {

namespace {

const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};

[[noreturn]] void agent_main(const native_plan& plan, int tty) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // nothing of the launcher's mask
    for (int s : forwarded) ::signal(s, SIG_DFL);
    auto step = [](const result<void>& r) {
        if (!r) {
            std::fprintf(stderr, "bottle-run: cannot confine the agent: %s\n", r.error().message.c_str());
            _exit(125);
        }
    };
    if (tty >= 0) step(attach_terminal(tty));  // its own pty, as controlling terminal
    else ::setsid();                           // no controlling terminal: none of the host's
    ::closefrom(3);                            // only stdio passes into the bottle
    step(apply_rlimits(plan.limits));
    step(become_agent(plan));
    step(apply_landlock(plan.landlock));
    step(apply_seccomp(plan.seccomp));
    _exit(exec_agent(plan));
}

int status_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 125;
}

}  // namespace

void run_init(const native_plan& plan, int report_fd, int tty) {
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // the agent may not read init's memory
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    for (int s : forwarded) sigaddset(&set, s);
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    const int sfd = ::signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) {
        (void)::write(report_fd, "error:init: signalfd failed", 27);
        _exit(125);
    }
    const pid_t agent = ::fork();
    if (agent < 0) {
        (void)::write(report_fd, "error:init: fork failed", 23);
        _exit(125);
    }
    if (agent == 0) {
        ::close(report_fd);
        ::close(sfd);
        agent_main(plan, tty);
    }
    (void)::write(report_fd, "running", 7);
    ::close(report_fd);
    int code = -1;
    while (true) {
        signalfd_siginfo si{};
        const ssize_t n = ::read(sfd, &si, sizeof si);
        if (n != static_cast<ssize_t>(sizeof si)) {
            if (errno == EINTR) continue;
            break;
        }
        const int sig = static_cast<int>(si.ssi_signo);
        if (sig != SIGCHLD) {
            if (code < 0) ::kill(agent, sig);
            continue;
        }
        int status = 0;
        pid_t pid;
        while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0)
            if (pid == agent) code = status_code(status);
        if (code >= 0) break;
    }
    // The agent is gone: so is everything it left running in the bottle.
    ::kill(-1, SIGKILL);
    while (::waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {}
    _exit(code < 0 ? 125 : code);
}

}  // namespace bottle::run::native
