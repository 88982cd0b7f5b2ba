// File handles for fs.open_by_handle and the machine facts: the lab passes a
// handle taken outside (name_to_handle_at) as "TYPE:HEX"; open_by_handle_at
// resolves it on the same filesystem whatever the caller's root or mount
// view (it needs CAP_DAC_READ_SEARCH).
#pragma once

#include <string>
#include <string_view>

namespace bottle::escape::probe::support {

struct handle_read {
    bool parsed = false;  ///< `text` was a valid "TYPE:HEX"
    int err = 0;          ///< errno of open_by_handle_at/read, 0 when read
    std::string data;     ///< what was read (capped 4 KiB)
};

/// Opens the handle `text` relative to `mount_dir` (any directory on the same
/// filesystem) read-only and reads it.
[[nodiscard]] handle_read read_by_handle(std::string_view text, const std::string& mount_dir);

}  // namespace bottle::escape::probe::support
