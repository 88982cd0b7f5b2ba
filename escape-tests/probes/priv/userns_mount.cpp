// priv.userns_mount — unprivileged user namespaces give "root" over new mount
// namespaces, the entry point of many kernel exploits (and of mounting
// proc/cgroup views). In a child: unshare a user+mount namespace (and, when
// already root, a mount namespace alone), make every mount private, then
// mount tmpfs, proc and cgroup2. Mounts die with the child's namespace.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace support = bottle::escape::probe::support;

namespace {

// Runs in the child: one line per mount attempt, "R " prefix when it worked.
void mount_attempts(bool with_userns, int out) {
    if (const auto err = support::enter_private_mount_ns(with_userns); !err.empty()) {
        support::write_all(out, "- " + err + "\n");
        return;
    }
    support::write_all(out, std::string("- ") + (with_userns ? "unshare(NEWUSER|NEWNS)" : "unshare(NEWNS)") +
                                " ok, / made rprivate\n");
    if (mount("bbx", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0) {
        support::write_all(out, "- mount tmpfs on /tmp: " + support::errno_name(errno) + "\n");
        return;
    }
    support::write_all(out, "R mount tmpfs on /tmp: mounted\n");
    mkdir("/tmp/proc", 0755);
    mkdir("/tmp/cg", 0755);
    const int p = mount("proc", "/tmp/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
    support::write_all(out, std::string(p == 0 ? "R" : "-") + " mount proc on /tmp/proc: " +
                                (p == 0 ? "mounted" : support::errno_name(errno)) + "\n");
    const int c = mount("cgroup2", "/tmp/cg", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
    support::write_all(out, std::string(c == 0 ? "R" : "-") + " mount cgroup2 on /tmp/cg: " +
                                (c == 0 ? "mounted" : support::errno_name(errno)) + "\n");
}

}  // namespace

BOTTLE_PROBE(priv_userns_mount, "priv.userns_mount",
             "unshare user+mount namespaces in a child and mount tmpfs, proc, cgroup2",
             bottle::escape::probe::scoring::self) {
    const auto max_userns = support::read_file("/proc/sys/user/max_user_namespaces");
    if (max_userns.ok) rep.observe("user.max_user_namespaces=" + max_userns.data);
    const auto clone_ok = support::read_file("/proc/sys/kernel/unprivileged_userns_clone");
    if (clone_ok.ok) rep.observe("kernel.unprivileged_userns_clone=" + clone_ok.data);

    const auto a = support::run_in_child([](int out) { mount_attempts(true, out); }, 1000);
    support::report_child_lines("user+mount namespace", a, rep);
    if (geteuid() == 0) {
        const auto b = support::run_in_child([](int out) { mount_attempts(false, out); }, 1000);
        support::report_child_lines("mount namespace (as root)", b, rep);
    }
}
