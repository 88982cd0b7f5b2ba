#include "abi.hpp"

#include "sys.hpp"

#include <sys/syscall.h>
#include <unistd.h>

namespace bottle::escape::probe::support {

#if defined(__x86_64__)
long int80(long nr, long a, long b, long c) {
    long ret = 0;
    asm volatile("int $0x80"
                 : "=a"(ret)
                 : "a"(nr), "b"(a), "c"(b), "d"(c)
                 : "memory", "r8", "r9", "r10", "r11");
    return ret;
}

long x32_syscall(long nr) {
    long ret = 0;
    asm volatile("syscall" : "=a"(ret) : "a"(nr | 0x40000000L) : "memory", "rcx", "r11");
    return ret;
}

#endif

}  // namespace bottle::escape::probe::support
