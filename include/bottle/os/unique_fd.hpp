// bottle/os/unique_fd.hpp — one owned file descriptor.
//
// Move-only RAII over an int descriptor (fmt's `file`, without the I/O): the
// destructor closes, `release()` hands ownership back to the caller,
// `reset(fd)` closes the old one first. -1 means "owns nothing". `close()`
// reports the close(2) failure that the destructor has to swallow.
#pragma once

#include "bottle/result.hpp"

namespace bottle::os {

class unique_fd {
public:
    constexpr unique_fd() noexcept = default;
    /// Takes ownership of `fd` (-1 or any negative value: owns nothing).
    constexpr explicit unique_fd(int fd) noexcept : fd_(fd < 0 ? -1 : fd) {}
    unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
    unique_fd& operator=(unique_fd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() { reset(); }

    /// The descriptor, still owned; -1 when empty.
    [[nodiscard]] constexpr int get() const noexcept { return fd_; }
    /// True when a descriptor is owned.
    [[nodiscard]] constexpr explicit operator bool() const noexcept { return fd_ >= 0; }

    /// Gives up ownership without closing; the object is empty afterwards.
    [[nodiscard]] int release() noexcept {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }

    /// Closes the owned descriptor (errors ignored, as in a destructor) and
    /// takes `fd`. Resetting to the descriptor already owned is a no-op.
    void reset(int fd = -1) noexcept;

    /// Closes now and reports close(2)'s error (io_error; EINTR counts as
    /// closed, as on Linux). Empty afterwards in every case.
    [[nodiscard]] result<void> close();

private:
    int fd_ = -1;
};

}  // namespace bottle::os
