// bottle/net/detail/flock_lock.hpp — the default lock policy of
// loopback_pool: an exclusive flock(2) on a lock file. Exposed as
// bottle::net::flock_lock.
#pragma once

#include "bottle/result.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace bottle::net::detail {

/// Exclusive flock on `path` (created 0600 if missing; symlinks refused).
/// Each lock() opens the file afresh, so two flock_locks on the same path
/// exclude each other even within one process (flock binds to the open file
/// description). The kernel drops the lock if the process dies.
class flock_lock {
public:
    explicit flock_lock(std::string path, std::chrono::milliseconds timeout = std::chrono::seconds(10))
        : path_(std::move(path)), timeout_(timeout) {}
    flock_lock(flock_lock&& other) noexcept
        : path_(std::move(other.path_)), timeout_(other.timeout_), fd_(std::exchange(other.fd_, -1)) {}
    flock_lock& operator=(flock_lock&&) = delete;
    flock_lock(const flock_lock&) = delete;
    flock_lock& operator=(const flock_lock&) = delete;
    ~flock_lock() { unlock(); }

    /// Waits up to the timeout for the lock. Errors: io_error (cannot open
    /// the lock file), timeout (another holder kept it), invalid_argument
    /// (already held by this object).
    [[nodiscard]] result<void> lock() {
        if (fd_ >= 0) return make_error(errc::invalid_argument, "lock " + path_ + " is already held by this object");
        const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return make_error(errc::io_error, "cannot open lock file " + path_ + ": " + std::strerror(errno) +
                                                  "; check that its directory exists and is writable");
        const auto deadline = std::chrono::steady_clock::now() + timeout_;
        auto pause = std::chrono::microseconds(100);
        while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            if (err == EINTR) continue;
            if (err != EWOULDBLOCK) {
                ::close(fd);
                return make_error(errc::io_error, "cannot lock " + path_ + ": " + std::strerror(err));
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                ::close(fd);
                return make_error(errc::timeout, "lock " + path_ + " still held by another process after " +
                                                     std::to_string(timeout_.count()) +
                                                     " ms; is an allocation stuck?");
            }
            std::this_thread::sleep_for(pause);
            pause = std::min(pause * 2, std::chrono::microseconds(5000));
        }
        fd_ = fd;
        return {};
    }

    /// Releases the lock (closing the file releases the flock).
    void unlock() noexcept {
        if (fd_ >= 0) ::close(std::exchange(fd_, -1));
    }

    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
    std::chrono::milliseconds timeout_;
    int fd_ = -1;
};

}  // namespace bottle::net::detail
