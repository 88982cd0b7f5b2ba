// The x86 system-call entries besides the native one (int 0x80 IA32, x32),
// for kern.abi_bypass and the machine facts (facts.hpp).
#pragma once


namespace bottle::escape::probe::support {

#if defined(__x86_64__)
/// int 0x80 with up to three arguments (faults with SIGSEGV when the kernel
/// has no IA32 entry: call it in a child).
long int80(long nr, long a = 0, long b = 0, long c = 0);
/// An x32 system call (nr | 0x40000000), no arguments.
long x32_syscall(long nr);
#endif

}  // namespace bottle::escape::probe::support
