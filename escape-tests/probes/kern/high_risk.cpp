// kern.high_risk — the kernel interfaces behind most recent privilege
// escalations: bpf, io_uring, userfaultfd, perf_event_open, mount,
// pivot_root, kexec_load, add_key, user namespaces. Each call carries
// arguments the kernel rejects only AFTER its permission check (zero-length
// program, zero entries, invalid flags, empty paths, unknown key type), and
// each call names the errors that prove it got there; any other answer
// (EPERM, EACCES, ENOSYS, or an error the call should not give) is refused.
// So "reached" means the sandbox let the call into the subsystem, and
// nothing was ever loaded, mounted or created.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(kern_high_risk, "kern.high_risk",
             "bpf, io_uring_setup, userfaultfd, perf_event_open, mount, pivot_root, kexec_load, add_key, unshare(NEWUSER) with rejecting arguments",
             bottle::escape::probe::scoring::self) {
    auto note = [&](const std::string& action, const support::sys_result& r, std::initializer_list<int> processed) {
        rep.attempt(action, support::classify(r, processed), support::accepted(r, processed));
        if (r.ok() && r.ret > 2) close(static_cast<int>(r.ret));  // an fd would mean the call succeeded: drop it
    };

    {  // A socket-filter program with zero instructions: E2BIG after the checks.
        bpf_attr attr;
        std::memset(&attr, 0, sizeof attr);
        attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
        attr.insn_cnt = 0;
        attr.insns = 0;
        attr.license = reinterpret_cast<std::uint64_t>("GPL");
        note("bpf(BPF_PROG_LOAD, socket filter with 0 instructions)",
             support::raw_syscall(SYS_bpf, BPF_PROG_LOAD, reinterpret_cast<long>(&attr), sizeof attr), {E2BIG, EINVAL});
    }
    {  // Zero entries: EINVAL when io_uring is available.
        io_uring_params params;
        std::memset(&params, 0, sizeof params);
        note("io_uring_setup(0 entries)", support::raw_syscall(SYS_io_uring_setup, 0, reinterpret_cast<long>(&params)),
             {EINVAL});
    }
    // An undefined flag bit (not UFFD_USER_MODE_ONLY, so the privilege check applies): EINVAL.
    note("userfaultfd(undefined flag 0x40000000)", support::raw_syscall(SYS_userfaultfd, 0x40000000L), {EINVAL});
    {  // A well-formed attr (it passes the size check) counting the kernel
       // too, so perf_event_paranoid applies (EACCES unprivileged); then a
       // sample period with bit 63 set: EINVAL right after that check.
        perf_event_attr attr;
        std::memset(&attr, 0, sizeof attr);
        attr.size = sizeof attr;
        attr.type = PERF_TYPE_SOFTWARE;
        attr.config = PERF_COUNT_SW_DUMMY;
        attr.sample_period = 1ULL << 63;
        note("perf_event_open(software dummy event, kernel counted, sample period 2^63)",
             support::raw_syscall(SYS_perf_event_open, reinterpret_cast<long>(&attr), 0, -1, -1, 0), {EINVAL});
    }
    // Bind mount of an empty source path: EINVAL/ENOENT after may_mount().
    note("mount(\"\", \"/\", MS_BIND) (empty source)",
         support::raw_syscall(SYS_mount, reinterpret_cast<long>(""), reinterpret_cast<long>("/"), 0, MS_BIND, 0), {EINVAL, ENOENT});
    // Empty paths: ENOENT after may_mount().
    note("pivot_root(\"\", \"\")", support::raw_syscall(SYS_pivot_root, reinterpret_cast<long>(""), reinterpret_cast<long>("")),
         {ENOENT, EINVAL});
    // No image, too many segments and an undefined flag: EINVAL after the CAP_SYS_BOOT check.
    note("kexec_load(entry 0, 17 segments, NULL, undefined flag 0x8000)",
         support::raw_syscall(SYS_kexec_load, 0, 17, 0, 0x8000), {EINVAL});
    // Unknown key type: ENODEV from the type lookup.
    note("add_key(\"bbx-invalid-type\", ...)",
         support::raw_syscall(SYS_add_key, reinterpret_cast<long>("bbx-invalid-type"), reinterpret_cast<long>("bbx"),
                              reinterpret_cast<long>("x"), 1, KEY_SPEC_PROCESS_KEYRING),
         {ENODEV});
    {  // A user namespace, in a child that exits at once.
        const auto c = support::run_in_child(
            [](int out) {
                const int r = unshare(CLONE_NEWUSER);
                support::write_all(out, r == 0 ? "ok" : support::errno_name(errno));
            },
            1000);
        const std::string res = c.out.empty() ? c.describe() : c.out;
        rep.attempt("unshare(CLONE_NEWUSER) in a child", res, res == "ok");
    }
}
