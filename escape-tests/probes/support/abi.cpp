#include "abi.hpp"

#include "sys.hpp"

#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>

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

namespace {

// True when `call` returns this (child) process's pid.
bool returns_own_pid(long (*call)()) {
    const auto c = run_in_child(
        [call](int out) {
            const long r = call();
            write_all(out, r == getpid() ? "yes" : "no");
        },
        1000);
    return c.out == "yes";
}

}  // namespace
#endif

std::vector<std::pair<std::string, std::string>> machine_facts() {
    std::vector<std::pair<std::string, std::string>> facts;
    struct stat st{};
    facts.emplace_back("modules", stat("/proc/modules", &st) == 0 ? "yes" : "no");
#if defined(__x86_64__)
    facts.emplace_back("arch", "x86_64");
    facts.emplace_back("ia32", returns_own_pid([] { return int80(20); }) ? "yes" : "no");        // i386 getpid
    facts.emplace_back("x32", returns_own_pid([] { return x32_syscall(39); }) ? "yes" : "no");  // x32 getpid
#else
    facts.emplace_back("arch", "other");
    facts.emplace_back("ia32", "no");
    facts.emplace_back("x32", "no");
#endif
    return facts;
}

}  // namespace bottle::escape::probe::support
