// src/os/file.cpp
#include "bottle/os/file.hpp"

#include "bottle/os/unique_fd.hpp"
#include "errno_error.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace bottle::os {

result<std::string> read_file(const std::string& path, std::size_t max_bytes) {
    unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) return detail::errno_error("cannot open " + path, errno);
    std::string data;
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error(errc::io_error, "cannot read " + path + ": " + detail::errno_text(errno));
        }
        if (n == 0) break;
        data.append(buf, static_cast<std::size_t>(n));
        if (data.size() > max_bytes)
            return make_error(errc::limit_exceeded,
                              path + " is larger than the limit of " + std::to_string(max_bytes) + " bytes");
    }
    return data;
}

result<void> write_file(const std::string& path, std::string_view data, mode_t mode) {
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, mode));
    if (!fd) {
        const int e = errno;
        if (e == ELOOP) return make_error(errc::io_error, "refusing to write " + path + ": it is a symlink");
        return detail::errno_error("cannot create " + path, e);
    }
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error(errc::io_error, "cannot write " + path + ": " + detail::errno_text(errno));
        }
        done += static_cast<std::size_t>(n);
    }
    if (auto closed = fd.close(); !closed) return make_error(errc::io_error, "cannot write " + path + ": " + closed.error().message);
    return {};
}

}  // namespace bottle::os
