#include "facts.hpp"

#include "abi.hpp"
#include "handle.hpp"
#include "net.hpp"
#include "sys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace bottle::escape::probe::support {

namespace {

#if defined(__x86_64__)
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

#endif

// True when the first sector of some block device can be read here (a
// machine may forbid it even to root, e.g. through its device cgroup).
bool block_read() {
    for (const auto& name : list_dir("/sys/class/block")) {
        const auto dev = read_file("/sys/class/block/" + name + "/dev", 64);
        if (!dev.ok) continue;
        const std::string path = "/dev/" + name;
        struct stat st{};
        if (stat(path.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) continue;
        const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) continue;
        char sector[512];
        const ssize_t n = pread(fd, sector, sizeof sector, 0);
        close(fd);
        if (n > 0) return true;
    }
    return false;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> machine_facts(const std::string& handle_target) {
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
    facts.emplace_back("block_read", block_read() ? "yes" : "no");
    facts.emplace_back("open_by_handle", !handle_target.empty() && read_by_handle(handle_target, "/").err == 0 ? "yes" : "no");
    return facts;
}

}  // namespace bottle::escape::probe::support
