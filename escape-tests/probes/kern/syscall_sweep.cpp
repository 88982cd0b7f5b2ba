// kern.syscall_sweep — which syscalls the sandbox lets into the kernel, from
// an explicit ALLOW-LIST of calls whose arguments make them provably harmless:
// an invalid descriptor (-1 -> EBADF), an empty path, an invalid flag or
// command, a zero-length program, an impossible length. Nothing here can
// open, load, mount, signal, change or create anything. "Processed" means the
// call succeeded or gave one of the errors listed for it, the answers that
// only come after its permission check for these arguments; anything else
// (EPERM, EACCES, ENOSYS, an unexpected errno) is refused. Informational: the processed set is
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

#include <algorithm>
#include <array>
#include <cerrno>
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
    std::array<int, 3> processed;  // the errors that prove the kernel got past its checks (0: unused)
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
        {"read", SYS_read, {-1, 0, 0}, false, {EBADF}},
        {"write", SYS_write, {-1, 0, 0}, false, {EBADF}},
        {"pread64", SYS_pread64, {-1, 0, 0, 0}, false, {EBADF}},
        {"readv", SYS_readv, {-1, 0, 0}, false, {EBADF}},
        {"lseek", SYS_lseek, {-1, 0, 0}, false, {EBADF}},
        {"fstat", SYS_fstat, {-1, 0}, false, {EBADF}},
        {"ioctl", SYS_ioctl, {-1, 0, 0}, false, {EBADF}},
        {"fcntl", SYS_fcntl, {-1, 1 /* F_GETFD */, 0}, false, {EBADF}},
        {"flock", SYS_flock, {-1, 0}, false, {EBADF}},
        {"fsync", SYS_fsync, {-1}, false, {EBADF}},
        {"ftruncate", SYS_ftruncate, {-1, 0}, false, {EBADF}},
        {"getdents64", SYS_getdents64, {-1, 0, 0}, false, {EBADF}},
        {"fchmod", SYS_fchmod, {-1, 0}, false, {EBADF}},
        {"fchdir", SYS_fchdir, {-1}, false, {EBADF}},
        {"sendfile", SYS_sendfile, {-1, -1, 0, 0}, false, {EBADF}},
        {"splice", SYS_splice, {-1, 0, -1, 0, 0, 0}, false, {EBADF}},
        {"tee", SYS_tee, {-1, -1, 0, 0}, false, {EBADF}},
        {"connect", SYS_connect, {-1, 0, 0}, false, {EBADF}},
        {"sendto", SYS_sendto, {-1, 0, 0, 0, 0, 0}, false, {EBADF}},
        {"recvfrom", SYS_recvfrom, {-1, 0, 0, 0, 0, 0}, false, {EBADF}},
        {"listen", SYS_listen, {-1, 0}, false, {EBADF}},
        {"accept", SYS_accept, {-1, 0, 0}, false, {EBADF}},
        {"setsockopt", SYS_setsockopt, {-1, 0, 0, 0, 0}, false, {EBADF}},
        {"epoll_wait", SYS_epoll_wait, {-1, 0, 1, 0}, false, {EBADF}},
        {"fgetxattr", SYS_fgetxattr, {-1, empty, 0, 0}, false, {EBADF}},
        {"fstatfs", SYS_fstatfs, {-1, 0}, false, {EBADF}},
        {"fallocate", SYS_fallocate, {-1, 0, 0, 1}, false, {EBADF}},
        {"inotify_add_watch", SYS_inotify_add_watch, {-1, empty, 1}, false, {EBADF}},
        {"copy_file_range", SYS_copy_file_range, {-1, 0, -1, 0, 0, 0}, false, {EBADF}},
        {"memfd_create", SYS_memfd_create, {0, 0}, false, {EFAULT}},
        {"mbind", SYS_mbind, {0, 0, 99, 0, 0, 0}, false, {EINVAL}},
        {"set_mempolicy", SYS_set_mempolicy, {99, 0, 0}, false, {EINVAL}},
        {"clone3", SYS_clone3, {0, 0}, false, {EINVAL}},
        {"personality", SYS_personality, {0xffffffffL}, false, {}},  // query only
        // Sensitive: permission-gated or commonly filtered subsystems.
        {"mount", SYS_mount, {empty, root, 0, MS_BIND, 0}, true, {EINVAL, ENOENT}},
        {"umount2", SYS_umount2, {empty, 0}, true, {EINVAL, ENOENT}},
        {"pivot_root", SYS_pivot_root, {empty, empty}, true, {EINVAL, ENOENT}},
        {"setns", SYS_setns, {-1, 0}, true, {EBADF}},
        {"fsopen", SYS_fsopen, {0, bad}, true, {EINVAL, EFAULT}},
        {"fspick", SYS_fspick, {-1, empty, bad}, true, {EINVAL}},
        {"open_tree", SYS_open_tree, {-1, empty, bad}, true, {EINVAL}},
        {"move_mount", SYS_move_mount, {-1, empty, -1, empty, bad}, true, {EINVAL}},
        {"mount_setattr", SYS_mount_setattr, {-1, empty, bad, 0, 0}, true, {EINVAL}},
        {"init_module", SYS_init_module, {0, 0, empty}, true, {ENOEXEC, EINVAL, EFAULT}},
        {"finit_module", SYS_finit_module, {-1, empty, 0}, true, {EBADF}},
        {"delete_module", SYS_delete_module, {empty, 0}, true, {ENOENT, EFAULT}},
        {"kexec_load", SYS_kexec_load, {0, 17, 0, 0x8000}, true, {EINVAL}},
        {"kexec_file_load", SYS_kexec_file_load, {-1, -1, 0, 0, 0x80000000L}, true, {EINVAL, EBADF}},
        {"bpf", SYS_bpf, {BPF_PROG_LOAD, reinterpret_cast<long>(&bpf), sizeof bpf}, true, {E2BIG, EINVAL}},
        {"perf_event_open", SYS_perf_event_open, {reinterpret_cast<long>(&perf), 0, -1, -1, 0}, true, {E2BIG}},
        {"userfaultfd", SYS_userfaultfd, {0x40000000L}, true, {EINVAL}},
        {"io_uring_setup", SYS_io_uring_setup, {0, reinterpret_cast<long>(&uring)}, true, {EINVAL}},
        {"io_uring_enter", SYS_io_uring_enter, {-1, 0, 0, 0, 0, 0}, true, {EBADF}},
        {"add_key", SYS_add_key, {reinterpret_cast<long>("bbx-invalid-type"), empty, 0, 0, -2}, true, {ENODEV, EINVAL}},
        {"keyctl", SYS_keyctl, {bad, 0, 0, 0, 0}, true, {EOPNOTSUPP}},
        {"ptrace", SYS_ptrace, {bad, 0, 0, 0}, true, {ESRCH, EIO}},
        {"kcmp", SYS_kcmp, {0, 0, 99, 0, 0}, true, {EINVAL, ESRCH}},
        {"pidfd_getfd", SYS_pidfd_getfd, {-1, 0, 0}, true, {EBADF}},
        {"open_by_handle_at", SYS_open_by_handle_at, {-1, 0, 0}, true, {EFAULT, EBADF}},
        {"fanotify_init", SYS_fanotify_init, {bad, 0}, true, {EINVAL}},
        {"swapoff", SYS_swapoff, {empty}, true, {ENOENT, EFAULT}},
        {"sethostname", SYS_sethostname, {0, 100000}, true, {EINVAL}},
        {"setdomainname", SYS_setdomainname, {0, 100000}, true, {EINVAL}},
        {"clock_settime", SYS_clock_settime, {99 /* no such clock */, 0}, true, {EINVAL}},
        {"syslog", SYS_syslog, {10 /* SIZE_BUFFER: read-only */, 0, 0}, true, {}},
    };
    int common_ok = 0, common_n = 0, sens_ok = 0, sens_n = 0;
    std::string processed, refused;
    for (const auto& c : calls) {
        const auto r = support::raw_syscall(c.nr, c.a[0], c.a[1], c.a[2], c.a[3], c.a[4], c.a[5]);
        if (r.ok() && r.ret > 2 && c.nr != SYS_syslog && c.nr != SYS_personality) close(static_cast<int>(r.ret));
        const bool ok = r.ok() || (r.err != 0 && std::find(c.processed.begin(), c.processed.end(), r.err) != c.processed.end());
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
