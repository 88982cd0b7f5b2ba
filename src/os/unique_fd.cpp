// src/os/unique_fd.cpp
#include "bottle/os/unique_fd.hpp"

#include "errno_error.hpp"

#include <unistd.h>

namespace bottle::os {

void unique_fd::reset(int fd) noexcept {
    if (fd < 0) fd = -1;
    if (fd == fd_) return;
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

result<void> unique_fd::close() {
    const int fd = release();
    if (fd < 0) return {};
    // Linux releases the descriptor even when close() fails, so a retry could
    // close a descriptor another thread just opened: never retry.
    if (::close(fd) != 0 && errno != EINTR) return detail::errno_error("close fd " + std::to_string(fd), errno);
    return {};
}

}  // namespace bottle::os
