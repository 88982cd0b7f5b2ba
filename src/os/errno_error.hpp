// src/os/errno_error.hpp — errno to bottle::error, private to the OS layer.
#pragma once

#include "bottle/result.hpp"

#include <cerrno>
#include <string>
#include <system_error>

namespace bottle::os::detail {

/// strerror text without strerror's shared buffer (thread-safe).
inline std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

/// The errc a caller can act on: absent, refused, or some other I/O failure.
inline errc errc_from_errno(int e) noexcept {
    switch (e) {
        case ENOENT:
        case ENOTDIR: return errc::not_found;
        case EACCES:
        case EPERM: return errc::permission_denied;
        case EINVAL: return errc::invalid_argument;
        case ETIMEDOUT: return errc::timeout;
        default: return errc::io_error;
    }
}

/// "what: No such file or directory", coded by errc_from_errno.
inline error errno_error(const std::string& what, int e) {
    return make_error(errc_from_errno(e), what + ": " + errno_text(e));
}

}  // namespace bottle::os::detail
