// priv.setuid — setuid-root binaries are the classic way back to root from a
// sandbox without no_new_privs: lists them (sudo, su, mount, passwd, ...) and
// whether their filesystem honours the bit, and tries to create a setuid-root
// copy of this binary in a private temp directory (removed afterwards). Never
// executes sudo or su.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <string>

namespace support = bottle::escape::probe::support;

namespace {
bool nosuid(const std::string& path) {
    struct statvfs v{};
    return statvfs(path.c_str(), &v) == 0 && (v.f_flag & ST_NOSUID) != 0;
}

std::string copy_file(const std::string& from, const std::string& to) {
    const int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return "open " + from + ": " + support::errno_name(errno);
    const int out = open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    if (out < 0) {
        const int e = errno;
        close(in);
        return "create " + to + ": " + support::errno_name(e);
    }
    char buf[65536];
    std::string err;
    for (;;) {
        const ssize_t n = read(in, buf, sizeof buf);
        if (n < 0) err = "read: " + support::errno_name(errno);
        if (n <= 0) break;
        if (write(out, buf, static_cast<std::size_t>(n)) != n) {
            err = "write: " + support::errno_name(errno);
            break;
        }
    }
    close(in);
    close(out);
    return err;
}
}  // namespace

BOTTLE_PROBE(priv_setuid, "priv.setuid", "list setuid binaries; create a setuid-root copy of this binary",
             bottle::escape::probe::scoring::self) {
    rep.observe("NoNewPrivs: " + support::status_field("NoNewPrivs").value_or("(absent)"));
    std::string found;
    int count = 0;
    for (const std::string dir : {"/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/lib/openssh",
                                  "/usr/lib/dbus-1.0"}) {
        for (const auto& n : support::list_dir(dir)) {
            const std::string p = dir + "/" + n;
            struct stat st{};
            if (lstat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
            if ((st.st_mode & (S_ISUID | S_ISGID)) == 0) continue;
            ++count;
            if (found.size() < 4096)
                found += p + ((st.st_mode & S_ISUID) ? " setuid" : " setgid") + " owner " + std::to_string(st.st_uid) +
                         (nosuid(p) ? " (nosuid mount)" : "") + "\n";
        }
    }
    rep.attempt("find setuid/setgid binaries", std::to_string(count) + " found", false);
    rep.observe("setuid/setgid binaries:\n" + found);

    int err = 0;
    const std::string dir = support::make_temp_dir(".bbx-" + ctx.tag + "-", &err);
    if (dir.empty()) {
        rep.attempt("create a temp directory", support::errno_name(err));
        return;
    }
    const std::string copy = dir + "/bbx-suid";
    if (const auto e = copy_file("/proc/self/exe", copy); !e.empty()) {
        rep.attempt("copy /proc/self/exe to " + copy, e);
    } else if (chmod(copy.c_str(), 04755) != 0) {
        rep.attempt("chmod 4755 " + copy, support::errno_name(errno));
    } else {
        struct stat st{};
        stat(copy.c_str(), &st);
        const bool bit = (st.st_mode & S_ISUID) != 0;
        const bool honoured = !nosuid(copy);
        const bool root_owned = st.st_uid == 0;
        const bool initial = support::in_initial_userns();
        rep.attempt("chmod 4755 a copy of this binary in " + dir,
                    std::string(bit ? "setuid bit set" : "setuid bit dropped") + ", owner uid " + std::to_string(st.st_uid) +
                        (honoured ? ", filesystem honours setuid" : ", nosuid filesystem") +
                        (initial ? ", initial user namespace" : ", child user namespace"),
                    bit && honoured && root_owned && initial);
    }
    unlink(copy.c_str());
    rmdir(dir.c_str());
}
