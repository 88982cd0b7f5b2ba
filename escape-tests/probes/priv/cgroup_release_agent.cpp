// priv.cgroup_release_agent — the cgroup v1 release_agent runs as host root
// when a cgroup empties (CVE-2022-0492 and the classic privileged-container
// escape). Finds v1 hierarchies and opens their release_agent for writing
// WITHOUT writing; then, in a child with new user+mount namespaces (and a
// mount namespace alone when root), mounts a v1 hierarchy privately and opens
// its release_agent the same way. Nothing is ever written.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace support = bottle::escape::probe::support;

namespace {

// "" when `path` opens O_WRONLY (closed unwritten), else the errno name.
std::string open_for_write(const std::string& path) {
    const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return support::errno_name(errno);
    close(fd);
    return {};
}

void mount_v1(bool with_userns, int out) {
    if (const auto err = support::enter_private_mount_ns(with_userns); !err.empty()) {
        support::write_all(out, "- " + err + "\n");
        return;
    }
    if (mount("bbx", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0) {
        support::write_all(out, "- mount tmpfs on /tmp (private scratch): " + support::errno_name(errno) + "\n");
        return;
    }
    mkdir("/tmp/cg", 0755);
    for (const char* opts : {"rdma", "memory", "pids", "devices", "freezer", "none,name=bbxprobe"}) {
        if (mount("cgroup", "/tmp/cg", "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) != 0) {
            support::write_all(out, std::string("- mount cgroup v1 -o ") + opts + ": " + support::errno_name(errno) + "\n");
            continue;
        }
        // Mounting is not the escape: a hierarchy in the sandbox's own
        // namespaces is harmless until its release_agent can be written by
        // the host's root. Since CVE-2022-0492 the kernel checks that write
        // against the initial user namespace, so only an open for writing
        // without a new user namespace counts as reached.
        support::write_all(out, std::string("- mount cgroup v1 -o ") + opts + ": mounted\n");
        const auto e = open_for_write("/tmp/cg/release_agent");
        const bool reached = e.empty() && !with_userns;
        support::write_all(out, std::string(reached ? "R" : "-") + " open release_agent of the new mount O_WRONLY (no write): " +
                                    (e.empty() ? std::string("opened (closed unwritten)") +
                                                     (with_userns ? ", but writes are checked in the initial user namespace" : "")
                                               : e) +
                                    "\n");
        umount2("/tmp/cg", MNT_DETACH);
        return;
    }
}

}  // namespace

BOTTLE_PROBE(priv_cgroup_release_agent, "priv.cgroup_release_agent",
             "open cgroup v1 release_agent for writing (no write), also after mounting a v1 hierarchy in new namespaces",
             bottle::escape::probe::scoring::self) {
    const auto mi = support::read_file("/proc/self/mountinfo", 256 * 1024);
    int v1 = 0;
    for (const auto& m : support::parse_mountinfo(mi.data)) {
        if (m.fstype != "cgroup") continue;
        ++v1;
        const std::string ra = m.mount_point + "/release_agent";
        struct stat st{};
        if (stat(ra.c_str(), &st) != 0) continue;  // only the hierarchy root has one
        const auto e = open_for_write(ra);
        rep.attempt("open " + ra + " O_WRONLY (no write)", e.empty() ? "opened (closed unwritten)" : e, e.empty());
    }
    rep.observe("cgroup v1 mounts visible: " + std::to_string(v1));
    support::report_child_lines("user+mount namespace", support::run_in_child([](int out) { mount_v1(true, out); }, 1000), rep);
    if (geteuid() == 0)
        support::report_child_lines("mount namespace (as root)", support::run_in_child([](int out) { mount_v1(false, out); }, 1000), rep);
}
