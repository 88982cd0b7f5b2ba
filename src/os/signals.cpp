// src/os/signals.cpp
#include "bottle/os/signals.hpp"

#include "errno_error.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>

namespace bottle::os {
namespace {

result<sigset_t> make_set(std::initializer_list<int> signals) {
    sigset_t set;
    sigemptyset(&set);
    for (const int sig : signals)
        if (sigaddset(&set, sig) != 0)
            return make_error(errc::invalid_argument, std::to_string(sig) + " is not a signal number");
    return set;
}

}  // namespace

result<blocked_signals> blocked_signals::block(std::initializer_list<int> signals) {
    auto set = make_set(signals);
    if (!set) return set.error();
    sigset_t previous;
    if (const int rc = ::pthread_sigmask(SIG_BLOCK, &*set, &previous); rc != 0)
        return detail::errno_error("pthread_sigmask", rc);
    return blocked_signals(previous);
}

blocked_signals::~blocked_signals() {
    if (active_) ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

result<signal_fd> signal_fd::open(std::initializer_list<int> signals) {
    auto set = make_set(signals);
    if (!set) return set.error();
    unique_fd fd(::signalfd(-1, &*set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!fd) return detail::errno_error("signalfd", errno);
    return signal_fd(std::move(fd));
}

result<std::optional<int>> signal_fd::wait(std::chrono::milliseconds timeout) {
    pollfd p{fd_.get(), POLLIN, 0};
    const auto ms = static_cast<int>(std::clamp<long long>(timeout.count(), 0, 1'000'000'000));
    int n;
    do n = ::poll(&p, 1, ms);
    while (n < 0 && errno == EINTR);
    if (n < 0) return detail::errno_error("poll on signalfd", errno);
    if (n == 0) return std::optional<int>{};
    signalfd_siginfo info{};
    const ssize_t got = ::read(fd_.get(), &info, sizeof info);
    if (got < 0 && errno == EAGAIN) return std::optional<int>{};  // another reader took it
    if (got != static_cast<ssize_t>(sizeof info)) return detail::errno_error("read signalfd", errno);
    return std::optional<int>{static_cast<int>(info.ssi_signo)};
}

result<void> kill_group(int pgid, int sig) {
    if (pgid <= 1)
        return make_error(errc::invalid_argument, "kill_group: refusing process group " + std::to_string(pgid));
    if (::kill(-pgid, sig) != 0) {
        const int e = errno;
        if (e == ESRCH) return make_error(errc::not_found, "kill_group: no process group " + std::to_string(pgid));
        return detail::errno_error("kill_group " + std::to_string(pgid), e);
    }
    return {};
}

}  // namespace bottle::os
