#include "handle.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace bottle::escape::probe::support {

handle_read read_by_handle(std::string_view text, const std::string& mount_dir) {
    handle_read r;
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) return r;
    const std::string hex(text.substr(colon + 1));
    if (hex.empty() || hex.size() % 2 != 0 || hex.size() / 2 > MAX_HANDLE_SZ ||
        hex.find_first_not_of("0123456789abcdef") != std::string::npos)
        return r;
    alignas(file_handle) unsigned char raw[sizeof(file_handle) + MAX_HANDLE_SZ]{};
    auto* h = reinterpret_cast<file_handle*>(raw);
    h->handle_type = std::atoi(std::string(text.substr(0, colon)).c_str());
    h->handle_bytes = static_cast<unsigned>(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size() / 2; ++i)
        raw[sizeof(file_handle) + i] = static_cast<unsigned char>(std::strtoul(hex.substr(i * 2, 2).c_str(), nullptr, 16));
    r.parsed = true;
    const int mfd = open(mount_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (mfd < 0) {
        r.err = errno;
        return r;
    }
    const int fd = open_by_handle_at(mfd, h, O_RDONLY | O_CLOEXEC);
    r.err = fd < 0 ? errno : 0;
    close(mfd);
    if (fd < 0) return r;
    char buf[4096];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) r.err = errno;
    else r.data.assign(buf, static_cast<std::size_t>(n));
    close(fd);
    return r;
}

}  // namespace bottle::escape::probe::support
