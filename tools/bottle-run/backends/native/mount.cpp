// The mount namespace: a new root built from the plan, the host's tree gone.
//
// As bubblewrap does: a tmpfs becomes the root with the host's tree under
// /oldroot, the bottle's root is assembled at /newroot (sources are read
// from /oldroot), then we pivot into /newroot and detach everything else.
// Read-only is set with mount_setattr(AT_RECURSIVE) so submounts of a bound
// tree are read-only too, and locked flags of the host's mounts are kept.
#include "bottle-run/backends/native/steps.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bottle::run::native {

namespace {

constexpr const char* old_root = "/oldroot";
constexpr const char* new_root = "/newroot";
/// The scratch tmpfs sits in the build tree beside them, outside the
/// bottle's root: only its directories are bound in, and it goes with the
/// build tree at the pivot.
constexpr const char* scratch_root = "/scratch";

result<void> fail(const std::string& what, const std::string& path) {
    return make_error(errc::io_error, "mount: " + what + " " + path + ": " + std::strerror(errno));
}

result<void> mkdirs(const std::string& path, mode_t mode = 0755) {
    for (std::size_t i = 1; i <= path.size(); ++i) {
        if (i != path.size() && path[i] != '/') continue;
        const std::string part = path.substr(0, i);
        if (::mkdir(part.c_str(), mode) != 0 && errno != EEXIST) return fail("mkdir", part);
    }
    return {};
}

/// A mount point of the right kind for `source`: a directory or an empty file.
result<void> make_target(const std::string& source, const std::string& target) {
    struct stat st {};
    if (!source.empty() && ::stat(source.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
        if (auto r = mkdirs(target.substr(0, target.rfind('/'))); !r) return r;
        const int fd = ::open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST && errno != EISDIR) return fail("create", target);
        if (fd >= 0) ::close(fd);
        return {};
    }
    return mkdirs(target);
}

result<void> set_attr(const std::string& path, std::uint64_t set, bool recursive) {
    mount_attr attr{};
    attr.attr_set = set;
    if (::syscall(SYS_mount_setattr, AT_FDCWD, path.c_str(), recursive ? AT_RECURSIVE : 0, &attr, sizeof attr) != 0)
        return fail("mount_setattr", path);
    return {};
}

result<void> bind(const std::string& source, const std::string& target, bool writable) {
    if (auto r = make_target(source, target); !r) return r;
    if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) return fail("bind " + source + " on", target);
    return set_attr(target, (writable ? 0 : MOUNT_ATTR_RDONLY) | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, true);
}

result<void> tmpfs(const std::string& target, const std::string& options, unsigned long flags = 0) {
    if (auto r = mkdirs(target); !r) return r;
    if (::mount("tmpfs", target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | flags, options.c_str()) != 0) return fail("tmpfs on", target);
    return {};
}

result<void> minimal_dev(const std::string& dev) {
    if (auto r = tmpfs(dev, "mode=0755"); !r) return r;
    for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"}) {
        const std::string target = dev + "/" + node;
        const int fd = ::open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
        if (fd < 0) return fail("create", target);
        ::close(fd);
        const std::string source = std::string(old_root) + "/dev/" + node;
        if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) return fail("bind " + source + " on", target);
    }
    for (auto [name, link] : {std::pair{"fd", "/proc/self/fd"}, std::pair{"stdin", "/proc/self/fd/0"},
                              std::pair{"stdout", "/proc/self/fd/1"}, std::pair{"stderr", "/proc/self/fd/2"},
                              std::pair{"ptmx", "pts/ptmx"}})
        if (::symlink(link, (dev + "/" + name).c_str()) != 0) return fail("symlink", dev + "/" + name);
    if (auto r = mkdirs(dev + "/pts"); !r) return r;
    if (::mount("devpts", (dev + "/pts").c_str(), "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") != 0)
        return fail("devpts on", dev + "/pts");
    if (auto r = tmpfs(dev + "/shm", "mode=1777"); !r) return r;
    return set_attr(dev, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC, false);
}

result<void> mask(const std::string& target) {
    struct stat st {};
    if (::lstat(target.c_str(), &st) != 0) return {};  // absent on this kernel: nothing to hide
    if (S_ISDIR(st.st_mode)) return tmpfs(target, "mode=0555,size=0", MS_RDONLY);
    const std::string null = std::string(old_root) + "/dev/null";
    if (::mount(null.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) return fail("mask", target);
    return {};
}

/// "mode=NNNN" (octal) from a scratch directory's options.
mode_t mode_of(const std::string& options) {
    const auto at = options.find("mode=");
    return at == std::string::npos ? 0700 : static_cast<mode_t>(std::stoul(options.substr(at + 5, 4), nullptr, 8));
}

result<void> scratch_dir(const mount_entry& m, const std::string& target) {
    const std::string dir = m.source.empty() ? std::string() : std::string(scratch_root) + "/" + m.source;
    if (dir.empty() || (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)) return fail("mkdir", dir);
    if (::chmod(dir.c_str(), mode_of(m.options)) != 0) return fail("chmod", dir);  // mkdir's mode went through the umask
    return bind(dir, target, true);
}

/// An existing path bound read-only onto itself; an absent one created
/// empty under an empty read-only tmpfs. The path is reached through the
/// workspace's bind, so a symlink would resolve in the build tree, and the
/// agent could swap it for a real directory: refused.
result<void> protect(const std::string& target) {
    struct stat st {};
    if (::lstat(target.c_str(), &st) == 0) {
        if (S_ISLNK(st.st_mode))
            return make_error(errc::invalid_argument, "mount: protect " + target.substr(std::strlen(new_root)) +
                                                          ": it is a symlink, which the bottle cannot keep read-only; make it a directory or remove it");
        return bind(target, target, false);
    }
    if (errno != ENOENT) return fail("lstat", target);
    if (auto r = mkdirs(target); !r) return r;
    return tmpfs(target, "mode=0555,size=0", MS_RDONLY | MS_NOEXEC);
}

result<void> pin(const std::string& target) {
    struct stat st {};
    if (::lstat(target.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) return {};  // a file or symlink: nothing can live under it
    if (auto r = mkdirs(target); !r) return r;
    return bind(target, target, true);
}

result<void> apply(const mount_entry& m) {
    const std::string target = new_root + m.target;
    const std::string source = std::string(old_root) + m.source;
    switch (m.kind) {
        case mount_kind::bind_ro:
        case mount_kind::bind_rw: {
            struct stat st {};
            if (m.optional && ::stat(source.c_str(), &st) != 0) return {};
            if (::stat(source.c_str(), &st) != 0) return fail("bind source", m.source);
            return bind(source, target, m.kind == mount_kind::bind_rw);
        }
        case mount_kind::tmpfs: return tmpfs(target, m.options);
        case mount_kind::proc:
            if (auto r = mkdirs(target); !r) return r;
            if (::mount("proc", target.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) return fail("proc on", target);
            return {};
        case mount_kind::dev: return minimal_dev(target);
        case mount_kind::symlink:
            if (::symlink(m.source.c_str(), target.c_str()) != 0) return fail("symlink", target);
            return {};
        case mount_kind::mask: return mask(target);
        case mount_kind::read_only: {
            struct stat st {};
            if (::lstat(target.c_str(), &st) != 0) return {};
            if (::mount(target.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) return fail("bind in place", target);
            return set_attr(target, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, true);
        }
        case mount_kind::scratch: return tmpfs(scratch_root, m.options);
        case mount_kind::scratch_dir: return scratch_dir(m, target);
        case mount_kind::protect: return protect(target);
        case mount_kind::pin: return pin(target);
    }
    return make_error(errc::internal, "mount: unknown mount kind");
}

/// The forwarded login files, written into the agent's fresh HOME as the
/// agent's uid (this process has it already): 0600, parents 0700, never
/// through a symlink. HOME is the bottle's own tmpfs, so they go with it.
result<void> place_credential_files(const native_plan& plan) {
    for (const auto& [rel, content] : plan.credential_files) {
        const std::string path = std::string(home_path) + "/" + rel;
        if (auto r = mkdirs(path.substr(0, path.rfind('/')), 0700); !r) return r;
        const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) return fail("create the forwarded login", path);
        std::size_t off = 0;
        while (off < content.size()) {
            const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                ::close(fd);
                return fail("write the forwarded login", path);
            }
            off += static_cast<std::size_t>(n);
        }
        if (::close(fd) != 0) return fail("write the forwarded login", path);
    }
    return {};
}

}  // namespace

result<void> build_filesystem(const native_plan& plan) {
    // Nothing we mount may propagate back to the host.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return fail("make private", "/");
    if (::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) return fail("base tmpfs on", "/tmp");
    if (::mkdir("/tmp/oldroot", 0755) != 0 || ::mkdir("/tmp/newroot", 0755) != 0) return fail("mkdir", "/tmp/{old,new}root");
    if (::syscall(SYS_pivot_root, "/tmp", "/tmp/oldroot") != 0) return fail("pivot_root to", "the base tmpfs");
    if (::chdir("/") != 0) return fail("chdir", "/");
    if (::mount("tmpfs", new_root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) return fail("root tmpfs on", new_root);
    for (const auto& m : plan.mounts)
        if (auto r = apply(m); !r) return r;
    // The root itself is read-only; only the tmpfs and rw binds stay writable.
    if (auto r = set_attr(new_root, MOUNT_ATTR_RDONLY, false); !r) return r;
    if (::chdir(new_root) != 0) return fail("chdir", new_root);
    if (::syscall(SYS_pivot_root, ".", ".") != 0) return fail("pivot_root into", "the bottle's root");
    if (::umount2(".", MNT_DETACH) != 0) return fail("detach", "the host's tree");
    if (::chdir("/") != 0) return fail("chdir", "/");
    if (auto r = place_credential_files(plan); !r) return r;
    if (::chdir(plan.workdir.c_str()) != 0) return fail("chdir", plan.workdir);
    return {};
}

}  // namespace bottle::run::native
