// The user namespace: id maps (written by the launcher) and the agent's
// identity and capabilities (dropped by the agent itself before exec).
#include "bottle-run/backends/native/steps.hpp"

#include <linux/capability.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>

namespace bottle::run::native {

namespace {

result<void> write_proc(pid_t pid, const char* file, const std::string& text) {
    const std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return make_error(errc::io_error, "user: open " + path + ": " + std::strerror(errno));
    const ssize_t n = ::write(fd, text.data(), text.size());
    const int e = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(text.size()))
        return make_error(errc::permission_denied, "user: write " + path + " (" + text.substr(0, text.find('\n')) + "): " + std::strerror(e));
    return {};
}

std::string map_text(const std::vector<id_map>& maps) {
    std::string out;
    for (const auto& m : maps) out += std::to_string(m.inside) + " " + std::to_string(m.outside) + " " + std::to_string(m.count) + "\n";
    return out;
}

result<void> fail(const char* what) { return make_error(errc::permission_denied, std::string("user: ") + what + ": " + std::strerror(errno)); }

}  // namespace

result<void> write_id_maps(pid_t child, const native_plan& plan) {
    if (plan.deny_setgroups)
        if (auto r = write_proc(child, "setgroups", "deny"); !r) return r;
    if (auto r = write_proc(child, "uid_map", map_text(plan.uid_map)); !r) return r;
    return write_proc(child, "gid_map", map_text(plan.gid_map));
}

result<void> take_agent_ids(const native_plan& plan) {
    // A root launcher's child is host uid 0, which the bottle's user namespace
    // does not map: files it created would fail (EOVERFLOW). It takes the
    // agent's ids now and keeps its capabilities over the namespace (they are
    // the namespace's, and the agent drops them before exec).
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return fail("keep capabilities");
    if (plan.drop_supplementary_groups && ::setgroups(0, nullptr) != 0) return fail("setgroups(0)");
    if (::setresgid(plan.agent_gid, plan.agent_gid, plan.agent_gid) != 0) return fail("setresgid");
    if (::setresuid(plan.agent_uid, plan.agent_uid, plan.agent_uid) != 0) return fail("setresuid");
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capget, &hdr, data) != 0) return fail("capget");
    data[0].effective = data[0].permitted;
    data[1].effective = data[1].permitted;
    if (::syscall(SYS_capset, &hdr, data) != 0) return fail("capset (effective)");
    if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return fail("keep capabilities off");
    return {};
}

result<void> become_agent(const native_plan& plan) {
    // The bounding set first: dropping it needs CAP_SETPCAP, which the uid
    // change below takes away.
    for (int cap = 0; cap <= 63; ++cap)
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return fail("drop the bounding set");
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return fail("clear ambient capabilities");
    if (plan.drop_supplementary_groups && ::setgroups(0, nullptr) != 0) return fail("setgroups(0)");
    if (::setresgid(plan.agent_gid, plan.agent_gid, plan.agent_gid) != 0) return fail("setresgid");
    if (::setresuid(plan.agent_uid, plan.agent_uid, plan.agent_uid) != 0) return fail("setresuid");
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capset, &hdr, data) != 0) return fail("capset to nothing");
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail("no_new_privs");
    // Verify rather than trust: the agent starts only if all of it holds.
    uid_t r = 0, e = 0, s = 0;
    if (::getresuid(&r, &e, &s) != 0 || r != plan.agent_uid || e != plan.agent_uid || s != plan.agent_uid)
        return make_error(errc::internal, "user: uid is not the agent's after setresuid");
    if (::syscall(SYS_capget, &hdr, data) != 0 || data[0].effective || data[0].permitted || data[0].inheritable ||
        data[1].effective || data[1].permitted || data[1].inheritable)
        return make_error(errc::internal, "user: capabilities remain after capset");
    if (::prctl(PR_CAPBSET_READ, 0 /* CAP_CHOWN */, 0, 0, 0) != 0)
        return make_error(errc::internal, "user: the bounding set still holds CAP_CHOWN");
    if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return make_error(errc::internal, "user: no_new_privs did not stick");
    return {};
}

}  // namespace bottle::run::native
