// escape-tests/lab/log_file.hpp — append-only line logs the lab writes and
// the runner reads after the run (protocol/lines.hpp formats the lines).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

namespace bottle::escape::lab {

/// Opens (creates) `p` for appending, close-on-exec. -1 on failure.
[[nodiscard]] inline int open_log(const std::filesystem::path& p) {
    return ::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

/// Writes `line` and a newline, all of it (retrying short writes). One
/// write() for lines up to the pipe/file atomic size keeps concurrent
/// writers' lines whole.
inline void append_line(int fd, std::string_view line) {
    std::string out(line);
    out += '\n';
    std::size_t off = 0;
    while (off < out.size()) {
        const ssize_t n = ::write(fd, out.data() + off, out.size() - off);
        if (n <= 0) return;
        off += static_cast<std::size_t>(n);
    }
}

/// Wall clock in ms since the epoch, for event lines.
[[nodiscard]] inline long long wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace bottle::escape::lab
