// bottle/os/file.hpp — whole small files, read and written in one call.
//
// For /proc and /sys facts, config files and markers: never for data that
// may be large, hence the explicit limit on reading.
#pragma once

#include "bottle/result.hpp"

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace bottle::os {

/// The whole file. Errors: not_found (absent, or a parent is not a
/// directory); permission_denied; limit_exceeded (more than `max_bytes`,
/// the limit named in the message); io_error.
[[nodiscard]] result<std::string> read_file(const std::string& path, std::size_t max_bytes);

/// Creates or truncates `path` (new files get `mode`, minus the umask) and
/// writes all of `data`. A symlink at `path` is never followed: io_error
/// naming the path. Errors: not_found (no parent directory);
/// permission_denied; io_error.
[[nodiscard]] result<void> write_file(const std::string& path, std::string_view data, mode_t mode = 0600);

}  // namespace bottle::os
