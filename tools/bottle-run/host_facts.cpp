// Host facts, read from this machine. Every probe is side-effect free except
// the user-namespace check, which forks a child that unshares and exits.
#include "bottle-run/host_facts.hpp"

#include <linux/landlock.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace bottle::run {

namespace {

std::optional<unsigned> env_number(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    unsigned long n = std::strtoul(v, &end, 10);
    if (errno != 0 || *end != '\0' || n > 0xfffffffful) return std::nullopt;
    return static_cast<unsigned>(n);
}

void probe_userns(host_facts& f) {
    pid_t pid = ::fork();
    if (pid < 0) {
        f.userns_why = std::string("fork: ") + std::strerror(errno);
        return;
    }
    if (pid == 0) _exit(::unshare(CLONE_NEWUSER) == 0 ? 0 : (errno & 0x7f) + 1);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        f.userns = true;
        return;
    }
    const int e = WIFEXITED(status) ? WEXITSTATUS(status) - 1 : 0;
    f.userns_why = "unshare(CLONE_NEWUSER): " + std::string(e ? std::strerror(e) : "child died") +
                   " (check kernel.unprivileged_userns_clone, user.max_user_namespaces, an AppArmor userns restriction)";
}

void probe_cgroups(host_facts& f) {
    struct statfs s {};
    if (::statfs("/sys/fs/cgroup", &s) != 0) return;
    if (s.f_type == CGROUP2_SUPER_MAGIC) {
        f.cgroups = cgroup_version::v2;
        f.cgroup_root = "/sys/fs/cgroup";
        f.cgroup_writable = ::access("/sys/fs/cgroup", W_OK) == 0;
        return;
    }
    for (const char* c : {"cpu", "memory", "pids"}) {
        const std::string dir = std::string("/sys/fs/cgroup/") + c;
        struct statfs cs {};
        if (::statfs(dir.c_str(), &cs) == 0 && cs.f_type == CGROUP_SUPER_MAGIC) f.v1_controllers.emplace_back(c);
    }
    if (!f.v1_controllers.empty()) {
        f.cgroups = cgroup_version::v1;
        f.cgroup_root = "/sys/fs/cgroup";
        f.cgroup_writable = true;
        for (const auto& c : f.v1_controllers)
            if (::access(("/sys/fs/cgroup/" + c).c_str(), W_OK) != 0) f.cgroup_writable = false;
    }
}

}  // namespace

std::string state_directory() {
    const char* x = std::getenv("XDG_RUNTIME_DIR");
    if (x && x[0] == '/') return std::string(x) + "/bot-bottle";
    if (::geteuid() == 0) return "/run/bot-bottle";
    // An ordinary user without a runtime directory: systemd's if it exists,
    // else one of our own under /tmp (created 0700; launch refuses another
    // owner's).
    const std::string user_run = "/run/user/" + std::to_string(::geteuid());
    if (::access(user_run.c_str(), W_OK) == 0) return user_run + "/bot-bottle";
    return "/tmp/bot-bottle-" + std::to_string(::geteuid());
}

host_facts probe_host_facts(bool try_userns) {
    host_facts f;
    f.euid = ::geteuid();
    f.egid = ::getegid();
    if (f.euid == 0) {
        if (auto u = env_number("SUDO_UID")) f.sudo_uid = *u;
        if (auto g = env_number("SUDO_GID")) f.sudo_gid = *g;
    }
    const long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi > 0) f.landlock_abi = static_cast<int>(abi);
    else f.landlock_why = errno == EOPNOTSUPP ? "Landlock is built but disabled (add landlock to the lsm= boot parameter)"
                                              : std::string("landlock_create_ruleset: ") + std::strerror(errno);
    probe_cgroups(f);
    if (try_userns) probe_userns(f);
    f.seccomp = ::prctl(PR_GET_SECCOMP) >= 0;
    if (const char* h = std::getenv("HOME"); h && h[0] == '/') f.home = h;
    for (const char* name : {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "opt"}) {
        const std::string path = std::string("/") + name;
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) continue;
        if (S_ISLNK(st.st_mode)) {
            char buf[4096];
            const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
            if (n > 0) f.system_links.emplace_back(name, std::string(buf, static_cast<std::size_t>(n)));
        } else if (S_ISDIR(st.st_mode)) {
            f.system_dirs.emplace_back(name);
        }
    }
    f.runtime_dir = state_directory();
    return f;
}

}  // namespace bottle::run
