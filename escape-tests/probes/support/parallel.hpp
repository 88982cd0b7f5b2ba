// Runs a probe's independent attempts side by side, so a probe with many
// attempts stays well inside its deadline.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace bottle::escape::probe::support {

/// Runs every job, up to `width` at a time on threads (sequentially when
/// threads cannot be created). Jobs must not throw.
void run_parallel(const std::vector<std::function<void()>>& jobs, std::size_t width = 12);

/// Whether this process can start a thread (tried once, then remembered).
/// Some sandboxes refuse it: under gVisor with the OCI seccomp profile
/// applied, clone3 fails with EPERM where the profile says ENOSYS, and
/// glibc's pthread_create falls back to clone only on ENOSYS.
[[nodiscard]] bool threads_usable();

}  // namespace bottle::escape::probe::support
