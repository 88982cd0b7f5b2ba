// res.disk — fill the writable area: write up to 256 MiB in 16 MiB chunks to a
// tag-named file in /tmp (or the workspace). The file is unlinked right after
// creation, so the space is released when the descriptor closes and nothing
// is left behind even if the probe is killed. Reached when all was written.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(res_disk, "res.disk", "write up to 256 MiB in 16 MiB chunks to a (deleted) file in /tmp or the workspace",
             bottle::escape::probe::scoring::self) {
    constexpr std::size_t chunk = 16UL << 20;
    constexpr int chunks = 16;  // 256 MiB
    char cwd[4096];
    std::string path;
    int fd = -1;
    for (const std::string& dir : {std::string("/tmp"), std::string("/var/tmp"), std::string(getcwd(cwd, sizeof cwd) ? cwd : ".")}) {
        path = dir + "/.bbx-disk-" + ctx.tag;
        fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) break;
        rep.attempt("create " + path, support::errno_name(errno));
    }
    if (fd < 0) return;
    unlink(path.c_str());
    std::string buf;
    buf.reserve(chunk);
    while (buf.size() < chunk) buf += ctx.tag + "\n";
    buf.resize(chunk);
    std::size_t written = 0;
    int err = 0;
    const long long deadline = support::now_ms() + 2000;
    for (int i = 0; i < chunks && err == 0 && support::now_ms() < deadline; ++i) {
        std::size_t off = 0;
        while (off < chunk) {
            const ssize_t n = write(fd, buf.data() + off, chunk - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                err = n < 0 ? errno : ENOSPC;
                break;
            }
            off += static_cast<std::size_t>(n);
        }
        written += off;
    }
    close(fd);
    std::string outcome = "wrote " + std::to_string(written >> 20) + " MiB of 256";
    if (err != 0) outcome += ", then " + support::errno_name(err);
    else if (written < chunk * chunks) outcome += ", stopped at the time budget";
    rep.attempt("write 256 MiB to " + path + " (unlinked at once)", outcome + "; file removed", written == chunk * chunks);
}
