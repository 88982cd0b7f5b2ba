// ipc.inherited_fd — descriptors the launcher forgot to close: through a
// directory fd from outside the sandbox a tag-named file is created
// (openat(fd, ...)), which the harness finds on the lab host; a host socket
// carries the tag to whatever is on the other end, whose sink logs it. Both
// are judged outside: a socket of the sandbox's own supervisor is not a leak,
// and a walk up from a directory fd is only observed. Pipes are only listed
// (one of them is the report pipe to bottle-probe's runner).
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace support = bottle::escape::probe::support;

namespace {

// Creates a tag-named file through the directory fd (a marker the harness
// looks for outside), then walks up with openat("..") and observes where the
// walk ends.
void probe_dir_fd(int fd, const std::string& target, const std::string& tag, bottle::escape::probe::report& rep) {
    const std::string name = ".bbx-marker-" + tag;
    const int made = openat(fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    rep.attempt("openat(fd " + std::to_string(fd) + " (" + target + "), \"" + name + "\", O_CREAT)",
                made >= 0 ? "created" : support::errno_name(errno));
    if (made >= 0) close(made);
    struct stat root{};
    stat("/", &root);
    int cur = dup(fd);
    std::string walked = target;
    for (int depth = 0; depth < 64 && cur >= 0; ++depth) {
        const int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (up < 0) {
            rep.attempt("openat(fd " + std::to_string(fd) + ", \"..\") at depth " + std::to_string(depth),
                        support::errno_name(errno));
            break;
        }
        struct stat a{}, b{};
        fstat(cur, &a);
        fstat(up, &b);
        close(cur);
        cur = up;
        walked += "/..";
        if (a.st_dev == b.st_dev && a.st_ino == b.st_ino) break;  // reached the top of this tree
    }
    if (cur < 0) return;
    struct stat top{};
    fstat(cur, &top);
    const bool foreign = top.st_dev != root.st_dev || top.st_ino != root.st_ino;
    std::string listing;
    if (DIR* d = fdopendir(dup(cur))) {
        while (const dirent* e = readdir(d)) listing += std::string(e->d_name) + " ";
        closedir(d);
    }
    rep.attempt("walk up from inherited dir fd " + std::to_string(fd) + " (" + target + ")",
                std::string(foreign ? "top of the walk is NOT this sandbox's root" : "top of the walk is this sandbox's root") +
                    "; listing " + std::to_string(listing.size()) + " bytes");
    rep.observe("fd " + std::to_string(fd) + " top directory: " + listing);
    close(cur);
}

void probe_socket_fd(int fd, const std::string& target, const std::string& tag, bottle::escape::probe::report& rep) {
    int domain = 0, type = 0;
    socklen_t l = sizeof domain;
    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l);
    l = sizeof type;
    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l);
    const std::string payload = tag + "\n";
    const ssize_t n = send(fd, payload.data(), payload.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    const std::string what = "send tag on inherited socket fd " + std::to_string(fd) + " (" + target + ", domain " +
                             std::to_string(domain) + ", type " + std::to_string(type) + ")";
    rep.attempt(what, n >= 0 ? "sent " + std::to_string(n) + " bytes" : support::errno_name(errno));
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 300) > 0) {
        char buf[4096];
        const ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r > 0) rep.observe("fd " + std::to_string(fd) + " replied: " + std::string(buf, static_cast<std::size_t>(r)));
    }
}

}  // namespace

BOTTLE_PROBE(ipc_inherited_fd, "ipc.inherited_fd",
             "scan /proc/self/fd for inherited host sockets and directory fds; walk up / send the tag",
             bottle::escape::probe::scoring::sink | bottle::escape::probe::scoring::token |
                 bottle::escape::probe::scoring::effect) {
    int err = 0;
    const auto fds = support::list_dir("/proc/self/fd", &err);
    if (err != 0) {
        rep.error("cannot list /proc/self/fd: " + support::errno_name(err));
        return;
    }
    int interesting = 0;
    std::string inventory;
    for (const auto& name : fds) {
        const int fd = std::atoi(name.c_str());
        if (fd <= 2) continue;
        const std::string target = support::read_link("/proc/self/fd/" + name);
        if (target == "/proc/self/fd" || target.rfind("/proc/", 0) == 0) continue;  // the listing itself
        struct stat st{};
        if (fstat(fd, &st) != 0) continue;
        inventory += name + " -> " + target + "\n";
        if (S_ISDIR(st.st_mode)) {
            ++interesting;
            probe_dir_fd(fd, target, ctx.tag, rep);
        } else if (S_ISSOCK(st.st_mode)) {
            ++interesting;
            probe_socket_fd(fd, target, ctx.tag, rep);
        }
    }
    rep.observe("inherited descriptors beyond stdio:\n" + inventory);
    // The lab host stages fd 3 (a host directory) and fd 4 (a host socket)
    // and says so outside; finding neither here means the sandbox closed them.
    if (interesting == 0)
        rep.attempt("scan /proc/self/fd for inherited sockets and directories",
                    "none beyond stdio (only: " + (inventory.empty() ? std::string("none") : inventory) + ")");
}
