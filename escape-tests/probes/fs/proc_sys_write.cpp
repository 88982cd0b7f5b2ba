// fs.proc_sys_write — kernel control files that turn a write into host code
// execution or a host reboot (core_pattern, modprobe, uevent_helper, cgroup v1
// release_agent, sysrq-trigger). Each is opened for writing and closed WITHOUT
// writing: an open that succeeds is the finding.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(fs_proc_sys_write, "fs.proc_sys_write",
             "open core_pattern, sysrq-trigger, modprobe, uevent_helper, release_agent for writing (no write)",
             bottle::escape::probe::scoring::self) {
    std::vector<std::string> files{"/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger",
                                   "/proc/sys/kernel/modprobe",     "/sys/kernel/uevent_helper",
                                   "/proc/sys/kernel/hostname",     "/proc/sys/fs/binfmt_misc/register",
                                   "/sys/fs/cgroup/release_agent"};
    for (const auto& c : support::list_dir("/sys/fs/cgroup")) files.push_back("/sys/fs/cgroup/" + c + "/release_agent");
    for (const auto& f : files) {
        // No O_TRUNC, no write: opening is the whole test.
        const int fd = open(f.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
            if (errno == ENOENT) continue;
            rep.attempt("open " + f + " O_WRONLY (no write)", support::errno_name(errno));
            continue;
        }
        close(fd);
        rep.attempt("open " + f + " O_WRONLY (no write)", "opened for writing (closed unwritten)", true);
    }
    const auto cp = support::read_file("/proc/sys/kernel/core_pattern");
    if (cp.ok) rep.observe("core_pattern: " + cp.data);
}
