// priv.kernel_module — loading a kernel module is total host compromise.
// init_module with a bogus 64-byte image and finit_module on a small file that
// is not a module: the kernel rejects both after its permission check
// (ENOEXEC/EINVAL/EBADMSG/... = reached), a sandbox before it (EPERM, ENOSYS,
// EACCES). No valid module is ever offered.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(priv_kernel_module, "priv.kernel_module",
             "init_module with a bogus image, finit_module on a non-module file",
             bottle::escape::probe::scoring::self) {
    const auto disabled = support::read_file("/proc/sys/kernel/modules_disabled");
    if (disabled.ok) rep.observe("kernel.modules_disabled=" + disabled.data);

    // 64 bytes that are not an ELF image (no \x7fELF magic).
    std::string image = "bbx-not-a-module:" + ctx.tag;
    image.resize(64, '#');
    const auto init = support::raw_syscall(SYS_init_module, reinterpret_cast<long>(image.data()),
                                           static_cast<long>(image.size()), reinterpret_cast<long>(""));
    // After may_init_module (CAP_SYS_MODULE, modules_disabled) the ELF
    // checks refuse 64 non-ELF bytes: ENOEXEC (EINVAL on older kernels).
    rep.attempt("init_module(bogus 64-byte image)", support::classify(init, {ENOEXEC, EINVAL}),
                support::accepted(init, {ENOEXEC, EINVAL}));
    struct stat st{};
    if (init.err == ENOSYS && stat("/proc/modules", &st) != 0) {
        rep.na(bottle::escape::protocol::applicability::no_module_support,
               "kernel built without loadable module support (no /proc/modules): nothing to load into");
        return;
    }

    // finit_module needs a file descriptor: a memfd, else a temp file.
    int fd = static_cast<int>(syscall(SYS_memfd_create, "bbx-not-a-module", MFD_CLOEXEC));
    std::string where = "memfd";
    std::string path;
    if (fd < 0) {
        int err = 0;
        const std::string dir = support::make_temp_dir(".bbx-" + ctx.tag + "-", &err);
        if (!dir.empty()) {
            path = dir + "/not-a-module.ko";
            fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            where = path;
        }
    }
    if (fd < 0) {
        rep.attempt("create a file for finit_module", support::errno_name(errno));
        return;
    }
    support::write_all(fd, image);
    // The kernel refuses a file that has writers (ETXTBSY): reopen read-only.
    const int ro = open(("/proc/self/fd/" + std::to_string(fd)).c_str(), O_RDONLY | O_CLOEXEC);
    if (ro >= 0) {
        close(fd);
        fd = ro;
    }
    const auto finit = support::raw_syscall(SYS_finit_module, fd, reinterpret_cast<long>(""), 0);
    rep.attempt("finit_module(" + where + " holding 64 non-ELF bytes)", support::classify(finit, {ENOEXEC, EINVAL}),
                support::accepted(finit, {ENOEXEC, EINVAL}));
    close(fd);
    if (!path.empty()) {
        unlink(path.c_str());
        rmdir(path.substr(0, path.find_last_of('/')).c_str());
    }
}
