// fs.block_devices — raw access to the host's disks: open block device nodes
// read-only and read the first sector; create a block device node with mknod
// in a private temp directory (then open it read-only, then remove it).
// Nothing is ever written to a device.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace support = bottle::escape::probe::support;

namespace {
// Reads up to 512 bytes from the start of `path`; "" + bytes on success.
std::string read_sector(const std::string& path, std::string& bytes) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return "open: " + support::errno_name(errno);
    char buf[512];
    const ssize_t n = pread(fd, buf, sizeof buf, 0);
    const int e = errno;
    close(fd);
    if (n < 0) return "opened, read: " + support::errno_name(e);
    bytes.assign(buf, static_cast<std::size_t>(n));
    return "opened, read " + std::to_string(n) + " bytes";
}
}  // namespace

BOTTLE_PROBE(fs_block_devices, "fs.block_devices", "read the first sector of host block devices; mknod a block device",
             bottle::escape::probe::scoring::self) {
    const auto parts = support::read_file("/proc/partitions");
    if (parts.ok) rep.observe("/proc/partitions:\n" + parts.data.substr(0, 2048));
    std::vector<std::string> devs{"/dev/vda", "/dev/vdb", "/dev/sda", "/dev/sdb", "/dev/nvme0n1", "/dev/xvda",
                                  "/dev/mmcblk0", "/dev/dm-0", "/dev/loop0"};
    for (const auto& n : support::list_dir("/sys/class/block")) {
        const std::string p = "/dev/" + n;
        if (devs.size() < 24 && std::find(devs.begin(), devs.end(), p) == devs.end()) devs.push_back(p);
    }
    for (const auto& d : devs) {
        struct stat st{};
        if (stat(d.c_str(), &st) != 0) {
            if (errno != ENOENT) rep.attempt("stat " + d, support::errno_name(errno));
            continue;
        }
        if (!S_ISBLK(st.st_mode)) continue;
        std::string bytes;
        const auto outcome = read_sector(d, bytes);
        rep.attempt("open " + d + " read-only and read 512 bytes", outcome, !bytes.empty());
        if (!bytes.empty()) rep.observe(d + " sector 0 (first 32 bytes): " + support::hex(bytes, 32));
    }

    // mknod the root filesystem's device (or sda) in a fresh private directory.
    struct stat root{};
    dev_t dev = makedev(8, 0);
    if (stat("/", &root) == 0 && major(root.st_dev) != 0) dev = root.st_dev;
    int err = 0;
    const std::string dir = support::make_temp_dir(".bbx-" + ctx.tag + "-", &err);
    if (dir.empty()) {
        rep.attempt("create a temp directory for mknod", support::errno_name(err));
        return;
    }
    const std::string node = dir + "/blk";
    const std::string label = "mknod " + node + " b " + std::to_string(major(dev)) + ":" + std::to_string(minor(dev));
    if (mknod(node.c_str(), S_IFBLK | 0600, dev) != 0) {
        rep.attempt(label, support::errno_name(errno));
    } else {
        // A node alone reads nothing: only data read through it counts.
        rep.attempt(label, "created", false);
        std::string bytes;
        const auto outcome = read_sector(node, bytes);
        rep.attempt("open the mknod'ed node read-only and read 512 bytes", outcome, !bytes.empty());
        unlink(node.c_str());
    }
    rmdir(dir.c_str());
}
