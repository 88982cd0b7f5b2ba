// The x86 system-call entries besides the native one (int 0x80 IA32, x32),
// for kern.abi_bypass, and the machine facts `bottle-probe facts` prints for
// the lab host: which entries this kernel offers and whether it loads
// modules, established unconfined, outside any sandbox (runner/
// applicability.hpp believes a probe's "does not apply" only from these).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace bottle::escape::probe::support {

#if defined(__x86_64__)
/// int 0x80 with up to three arguments (faults with SIGSEGV when the kernel
/// has no IA32 entry: call it in a child).
long int80(long nr, long a = 0, long b = 0, long c = 0);
/// An x32 system call (nr | 0x40000000), no arguments.
long x32_syscall(long nr);
#endif

/// "name=value" facts about this machine: arch, ia32 (yes/no), x32 (yes/no),
/// modules (yes/no). Each test runs in a forked child with a deadline.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> machine_facts();

}  // namespace bottle::escape::probe::support
