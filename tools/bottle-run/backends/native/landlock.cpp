// Landlock through raw syscalls, by the host's ABI. Debian 12's kernel
// headers predate TCP rules (ABI 4) and scopes (ABI 6): their constants are
// defined here, and the ruleset attribute is passed with the size of the
// ABI in use so an older kernel never sees fields it does not know.
#include "bottle-run/backends/native/steps.hpp"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bottle::run::native {

namespace {

namespace ll {
constexpr std::uint64_t execute = 1u << 0, write_file = 1u << 1, read_file = 1u << 2, read_dir = 1u << 3;
constexpr std::uint64_t fs_v1 = (1u << 13) - 1;  // EXECUTE .. MAKE_SYM
constexpr std::uint64_t refer = 1u << 13, truncate = 1u << 14, ioctl_dev = 1u << 15;
constexpr std::uint64_t net_bind_tcp = 1u << 0, net_connect_tcp = 1u << 1;
constexpr std::uint64_t scope_abstract_unix = 1u << 0, scope_signal = 1u << 1;
constexpr int rule_path_beneath = 1, rule_net_port = 2;

struct ruleset_attr {
    std::uint64_t handled_access_fs, handled_access_net, scoped;
};
struct __attribute__((packed)) path_beneath_attr {
    std::uint64_t allowed_access;
    std::int32_t parent_fd;
};
struct net_port_attr {
    std::uint64_t allowed_access, port;
};
}  // namespace ll

result<void> fail(const std::string& what) { return make_error(errc::io_error, "landlock: " + what + ": " + std::strerror(errno)); }

}  // namespace

result<void> apply_landlock(const landlock_plan& plan) {
    if (plan.abi <= 0) return {};
    std::uint64_t fs = ll::fs_v1;
    if (plan.abi >= 2) fs |= ll::refer;
    if (plan.abi >= 3) fs |= ll::truncate;
    if (plan.abi >= 5) fs |= ll::ioctl_dev;
    ll::ruleset_attr attr{fs, 0, 0};
    std::size_t size = sizeof(std::uint64_t);
    if (plan.abi >= 4 && plan.restrict_tcp) {
        attr.handled_access_net = ll::net_bind_tcp | ll::net_connect_tcp;
        size = 2 * sizeof(std::uint64_t);
    }
    if (plan.abi >= 6 && (plan.scope_abstract_unix || plan.scope_signal)) {
        attr.scoped = (plan.scope_abstract_unix ? ll::scope_abstract_unix : 0) | (plan.scope_signal ? ll::scope_signal : 0);
        size = sizeof attr;
    }
    os::unique_fd ruleset(static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, size, 0)));
    if (!ruleset) return fail("create ruleset (ABI " + std::to_string(plan.abi) + ")");
    const std::uint64_t read_only = ll::execute | ll::read_file | ll::read_dir;
    for (const auto& p : plan.paths) {
        os::unique_fd dir(::open(p.path.c_str(), O_PATH | O_CLOEXEC));
        if (!dir) {
            if (p.optional && errno == ENOENT) continue;
            return fail("open " + p.path);
        }
        std::uint64_t access = p.list_only ? ll::read_dir : p.write ? fs : read_only;
        // A rule on a file (a manifest mount of one file) may only name file
        // rights; the kernel refuses directory rights on it with EINVAL.
        struct stat st {};
        if (::fstat(dir.get(), &st) != 0) return fail("stat " + p.path);
        if (!S_ISDIR(st.st_mode)) access &= ll::execute | ll::write_file | ll::read_file | ll::truncate | ll::ioctl_dev;
        if (access == 0) continue;  // nothing a file could be granted (a list-only rule)
        ll::path_beneath_attr rule{access, dir.get()};
        if (::syscall(SYS_landlock_add_rule, ruleset.get(), ll::rule_path_beneath, &rule, 0) != 0) return fail("rule for " + p.path);
    }
    if (attr.handled_access_net && plan.connect_port) {
        ll::net_port_attr rule{ll::net_connect_tcp, *plan.connect_port};
        if (::syscall(SYS_landlock_add_rule, ruleset.get(), ll::rule_net_port, &rule, 0) != 0) return fail("TCP rule for the proxy port");
    }
    if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return make_error(errc::internal, "landlock: no_new_privs must be set first");
    if (::syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0) return fail("restrict self");
    return {};
}

}  // namespace bottle::run::native
