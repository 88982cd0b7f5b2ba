// The machine facts `bottle-probe facts` prints for the lab host, which runs
// it unconfined before the sandbox starts: what this machine allows at all
// (runner/applicability.hpp decides "does not apply" only from these, never
// from what a probe saw inside a sandbox).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace bottle::escape::probe::support {

/// "name" -> "value": arch; ia32, x32 (the compat syscall entries: yes/no);
/// modules (loadable modules: yes/no); block_read (a block device's first
/// sector can be read: yes/no); open_by_handle (the lab's handle target opens
/// by handle: yes/no, "no" without one). Each test runs in a forked child
/// with a deadline or only reads.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> machine_facts(const std::string& handle_target);

}  // namespace bottle::escape::probe::support
