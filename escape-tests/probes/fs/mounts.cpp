// fs.mounts — what of the host the sandbox's mount table shows: host paths,
// and read-write mounts of a host block-device filesystem at its root (the
// whole host filesystem writable). Reached when such a mount is visible; the
// mount table itself is observed (the lab recognises its run directory path).
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <string>

namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(fs_mounts, "fs.mounts", "host paths and read-write host block-device mounts in /proc/self/mountinfo",
             bottle::escape::probe::scoring::token | bottle::escape::probe::scoring::self) {
    const auto f = support::read_file("/proc/self/mountinfo", 256 * 1024);
    rep.attempt("read /proc/self/mountinfo", support::describe(f), false);
    if (!f.ok) {
        const auto m = support::read_file("/proc/mounts");
        rep.attempt("read /proc/mounts", support::describe(m), false);
        if (m.ok) rep.observe(m.data.substr(0, 16 * 1024));
        return;
    }
    const auto mounts = support::parse_mountinfo(f.data);
    // The mounts of lab-relevant places first (their fs roots name host
    // paths), so a long table cannot push them past the observation cap.
    std::string key_lines;
    for (const auto& m : mounts) {
        for (const char* where : {"/run", "/root", "/tmp", "/var/tmp", "/etc/resolv.conf", "/etc/hosts", "/home", "/work"}) {
            if (m.mount_point.rfind(where, 0) == 0 && key_lines.size() < 8192) {
                key_lines += m.mount_point + " <- " + m.source + ":" + m.root + " (" + m.fstype + ", " + m.options + ")\n";
                break;
            }
        }
    }
    rep.observe("mounts of lab-relevant paths (mount point <- source:fs root):\n" + key_lines);
    rep.observe(f.data.substr(0, 16 * 1024));
    int block = 0;
    for (const auto& m : mounts) {
        if (!support::is_block_fs(m.fstype)) continue;
        ++block;
        const bool whole = m.root == "/";
        const bool rw = m.read_write();
        const std::string what = m.source + " (" + m.fstype + ", fs root " + m.root + ") on " + m.mount_point;
        rep.attempt("host block-device mount " + what,
                    std::string(rw ? "read-write" : "read-only") + (whole ? ", the filesystem's root" : ", a subtree"),
                    rw && whole);
    }
    rep.observe("mounts: " + std::to_string(mounts.size()) + ", of block-device filesystems: " + std::to_string(block));
}
