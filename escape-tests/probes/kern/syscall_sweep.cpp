// kern.syscall_sweep — which syscalls the sandbox lets into the kernel, from
// an explicit ALLOW-LIST of calls whose arguments make them provably harmless:
// an invalid descriptor (-1 -> EBADF), an empty path, an invalid flag or
// command, a zero-length program, an impossible length. Nothing here can
// open, load, mount, signal, change or create anything. "Processed" means the
// answer was not EPERM/EACCES/ENOSYS. Informational: the processed set is
// observed; reached when more than half of the sensitive group (mount API,
// modules, kexec, bpf, perf, io_uring, keys, ptrace family, host admin) was
// processed — i.e. neither a filter nor missing privilege stopped them.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

namespace support = bottle::escape::probe::support;

namespace {
struct call {
    const char* name;
    long nr;
    long a[6];
    bool sensitive;
};
}  // namespace

BOTTLE_PROBE(kern_syscall_sweep, "kern.syscall_sweep",
             "allow-listed syscalls with provably rejecting arguments: which ones reach the kernel",
             bottle::escape::probe::scoring::self) {
    static bpf_attr bpf{};
    std::memset(&bpf, 0, sizeof bpf);
    bpf.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;  // zero instructions: E2BIG
    bpf.license = reinterpret_cast<std::uint64_t>("GPL");
    static perf_event_attr perf{};
    std::memset(&perf, 0, sizeof perf);
    perf.size = 1;  // below the first ABI size: E2BIG
    static io_uring_params uring{};
    std::memset(&uring, 0, sizeof uring);
    const long empty = reinterpret_cast<long>("");
    const long root = reinterpret_cast<long>("/");
    const long bad = 0x7fffffffL;  // an invalid flag mask / command / request

    const std::vector<call> calls{
        // Common: an invalid descriptor (EBADF) or a null/zero argument.
        {"read", SYS_read, {-1, 0, 0}, false},
        {"write", SYS_write, {-1, 0, 0}, false},
        {"pread64", SYS_pread64, {-1, 0, 0, 0}, false},
        {"readv", SYS_readv, {-1, 0, 0}, false},
        {"lseek", SYS_lseek, {-1, 0, 0}, false},
        {"fstat", SYS_fstat, {-1, 0}, false},
        {"ioctl", SYS_ioctl, {-1, 0, 0}, false},
        {"fcntl", SYS_fcntl, {-1, 1 /* F_GETFD */, 0}, false},
        {"flock", SYS_flock, {-1, 0}, false},
        {"fsync", SYS_fsync, {-1}, false},
        {"ftruncate", SYS_ftruncate, {-1, 0}, false},
        {"getdents64", SYS_getdents64, {-1, 0, 0}, false},
        {"fchmod", SYS_fchmod, {-1, 0}, false},
        {"fchdir", SYS_fchdir, {-1}, false},
        {"sendfile", SYS_sendfile, {-1, -1, 0, 0}, false},
        {"splice", SYS_splice, {-1, 0, -1, 0, 0, 0}, false},
        {"tee", SYS_tee, {-1, -1, 0, 0}, false},
        {"connect", SYS_connect, {-1, 0, 0}, false},
        {"sendto", SYS_sendto, {-1, 0, 0, 0, 0, 0}, false},
        {"recvfrom", SYS_recvfrom, {-1, 0, 0, 0, 0, 0}, false},
        {"listen", SYS_listen, {-1, 0}, false},
        {"accept", SYS_accept, {-1, 0, 0}, false},
        {"setsockopt", SYS_setsockopt, {-1, 0, 0, 0, 0}, false},
        {"epoll_wait", SYS_epoll_wait, {-1, 0, 1, 0}, false},
        {"fgetxattr", SYS_fgetxattr, {-1, empty, 0, 0}, false},
        {"fstatfs", SYS_fstatfs, {-1, 0}, false},
        {"fallocate", SYS_fallocate, {-1, 0, 0, 1}, false},
        {"inotify_add_watch", SYS_inotify_add_watch, {-1, empty, 1}, false},
        {"copy_file_range", SYS_copy_file_range, {-1, 0, -1, 0, 0, 0}, false},
        {"memfd_create", SYS_memfd_create, {0, 0}, false},
        {"mbind", SYS_mbind, {0, 0, 99, 0, 0, 0}, false},
        {"set_mempolicy", SYS_set_mempolicy, {99, 0, 0}, false},
        {"clone3", SYS_clone3, {0, 0}, false},
        {"personality", SYS_personality, {0xffffffffL}, false},  // query only
        // Sensitive: permission-gated or commonly filtered subsystems.
        {"mount", SYS_mount, {empty, root, 0, MS_BIND, 0}, true},
        {"umount2", SYS_umount2, {empty, 0}, true},
        {"pivot_root", SYS_pivot_root, {empty, empty}, true},
        {"setns", SYS_setns, {-1, 0}, true},
        {"fsopen", SYS_fsopen, {0, bad}, true},
        {"fspick", SYS_fspick, {-1, empty, bad}, true},
        {"open_tree", SYS_open_tree, {-1, empty, bad}, true},
        {"move_mount", SYS_move_mount, {-1, empty, -1, empty, bad}, true},
        {"mount_setattr", SYS_mount_setattr, {-1, empty, bad, 0, 0}, true},
        {"init_module", SYS_init_module, {0, 0, empty}, true},
        {"finit_module", SYS_finit_module, {-1, empty, 0}, true},
        {"delete_module", SYS_delete_module, {empty, 0}, true},
        {"kexec_load", SYS_kexec_load, {0, 17, 0, 0x8000}, true},
        {"kexec_file_load", SYS_kexec_file_load, {-1, -1, 0, 0, 0x80000000L}, true},
        {"bpf", SYS_bpf, {BPF_PROG_LOAD, reinterpret_cast<long>(&bpf), sizeof bpf}, true},
        {"perf_event_open", SYS_perf_event_open, {reinterpret_cast<long>(&perf), 0, -1, -1, 0}, true},
        {"userfaultfd", SYS_userfaultfd, {0x40000000L}, true},
        {"io_uring_setup", SYS_io_uring_setup, {0, reinterpret_cast<long>(&uring)}, true},
        {"io_uring_enter", SYS_io_uring_enter, {-1, 0, 0, 0, 0, 0}, true},
        {"add_key", SYS_add_key, {reinterpret_cast<long>("bbx-invalid-type"), empty, 0, 0, -2}, true},
        {"keyctl", SYS_keyctl, {bad, 0, 0, 0, 0}, true},
        {"ptrace", SYS_ptrace, {bad, 0, 0, 0}, true},
        {"kcmp", SYS_kcmp, {0, 0, 99, 0, 0}, true},
        {"pidfd_getfd", SYS_pidfd_getfd, {-1, 0, 0}, true},
        {"open_by_handle_at", SYS_open_by_handle_at, {-1, 0, 0}, true},
        {"fanotify_init", SYS_fanotify_init, {bad, 0}, true},
        {"swapoff", SYS_swapoff, {empty}, true},
        {"sethostname", SYS_sethostname, {0, 100000}, true},
        {"setdomainname", SYS_setdomainname, {0, 100000}, true},
        {"clock_settime", SYS_clock_settime, {99 /* no such clock */, 0}, true},
        {"syslog", SYS_syslog, {10 /* SIZE_BUFFER: read-only */, 0, 0}, true},
    };
    int common_ok = 0, common_n = 0, sens_ok = 0, sens_n = 0;
    std::string processed, refused;
    for (const auto& c : calls) {
        const auto r = support::raw_syscall(c.nr, c.a[0], c.a[1], c.a[2], c.a[3], c.a[4], c.a[5]);
        if (r.ok() && r.ret > 2 && c.nr != SYS_syslog && c.nr != SYS_personality) close(static_cast<int>(r.ret));
        const bool ok = support::kernel_reached(r.err);
        (c.sensitive ? sens_n : common_n) += 1;
        if (ok) (c.sensitive ? sens_ok : common_ok) += 1;
        (ok ? processed : refused) += std::string(c.name) + "=" + (r.err ? support::errno_name(r.err) : "ok") + " ";
    }
    rep.observe("processed: " + processed);
    rep.observe("refused: " + refused);
    rep.attempt("common group (" + std::to_string(common_n) + " calls)", std::to_string(common_ok) + " processed", false);
    rep.attempt("sensitive group (" + std::to_string(sens_n) + " calls)", std::to_string(sens_ok) + " processed",
                sens_ok * 2 > sens_n);
}
