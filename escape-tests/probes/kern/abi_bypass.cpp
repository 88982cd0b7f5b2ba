// kern.abi_bypass — seccomp filters written for the x86_64 table miss calls
// made through the other ABIs of the same kernel: the 32-bit int 0x80 entry
// (getpid, socketcall, socket) and x32 (nr | 0x40000000). Each runs in a
// forked child (int 0x80 kills the process when IA32 emulation is off).
#include "../probe.hpp"
#include "../support/abi.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace support = bottle::escape::probe::support;

#if defined(__x86_64__)
namespace {

using support::int80;
using support::x32_syscall;

// Child body: one result, "ok <value>" or "err <errno>".
std::string result(long ret) { return ret < 0 && ret > -4096 ? "err " + support::errno_name(static_cast<int>(-ret)) : "ok " + std::to_string(ret); }

}  // namespace
#endif

BOTTLE_PROBE(kern_abi_bypass, "kern.abi_bypass", "32-bit int 0x80 getpid/socketcall/socket and x32 getpid",
             bottle::escape::probe::scoring::self) {
#if !defined(__x86_64__)
    rep.na(bottle::escape::protocol::applicability::no_compat_abi, "x86_64 only: int 0x80 and x32 are x86 ABIs");
#else
    const auto emu = support::read_file("/proc/sys/abi/vsyscall32");
    if (emu.ok) rep.observe("abi.vsyscall32=" + emu.data);

    // An ABI the kernel (or the virtual machine) lacks is not a sandbox's
    // doing: int 0x80 then faults (SIGSEGV; a seccomp kill is SIGSYS) and x32
    // calls get ENOSYS with no x32 syscall table in /proc/kallsyms.
    const auto syms = support::read_file("/proc/kallsyms", 32 * 1024 * 1024);
    const bool x32_known = syms.ok && syms.data.find(" x32_sys_call") != std::string::npos;
    int available = 0;
    auto run = [&](const std::string& action, long (*call)(), bool fd_result, bool is_x32) {
        const auto c = support::run_in_child(
            [call](int out) {
                const long r = call();
                support::write_all(out, result(r) + " pid " + std::to_string(getpid()));
                if (r >= 0) close(static_cast<int>(r));
            },
            800);
        const std::string& o = c.out;
        bool reached = false;
        if (o.rfind("ok ", 0) == 0) {
            const long value = std::atol(o.c_str() + 3);
            const long pid = std::atol(o.c_str() + o.find(" pid ") + 5);
            reached = fd_result ? value >= 0 : value == pid;
        }
        bool missing = false;
        std::string outcome = o.empty() ? "child " + c.describe() : o;
        if (!is_x32 && o.empty() && c.signal == SIGSEGV) {
            missing = true;
            outcome += ": int 0x80 faults, no IA32 entry on this kernel/platform";
        }
        if (is_x32 && o.rfind("err ENOSYS", 0) == 0 && syms.ok && !x32_known) {
            missing = true;
            outcome += ": no x32 syscall table in /proc/kallsyms (kernel without x32)";
        }
        if (!missing) ++available;
        rep.attempt(action, outcome, reached);
    };
    run("int 0x80 getpid (i386 nr 20)", [] { return int80(20); }, false, false);
    run("x32 getpid (39 | 0x40000000)", [] { return x32_syscall(39); }, false, true);
    run("int 0x80 socketcall(SYS_SOCKET, AF_UNIX, SOCK_STREAM) (i386 nr 102)",
        [] {
            // Arguments must be addressable with 32 bits.
            void* low = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
            if (low == MAP_FAILED) return -12L;
            auto* args = static_cast<std::uint32_t*>(low);
            args[0] = 1;  // AF_UNIX
            args[1] = 1;  // SOCK_STREAM
            args[2] = 0;
            return int80(102, 1, static_cast<long>(reinterpret_cast<std::uintptr_t>(low)));
        },
        true, false);
    run("int 0x80 socket(AF_UNIX, SOCK_STREAM) (i386 nr 359)", [] { return int80(359, 1, 1, 0); }, true, false);
    if (available == 0)
        rep.na(bottle::escape::protocol::applicability::no_compat_abi,
               "this kernel/platform offers neither the IA32 (int 0x80) nor the x32 entry: nothing to bypass with");
#endif
}
