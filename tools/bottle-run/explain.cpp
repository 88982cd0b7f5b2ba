#include "bottle-run/explain.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace bottle::run {

std::vector<protection> explain(const host_facts& f) {
    std::vector<protection> out;
    if (f.userns)
        out.push_back({"user-namespaces", "active",
                       f.euid == 0 ? "launched by root: the agent runs as an unprivileged host uid in its own user namespace"
                                   : "unprivileged user namespaces work: rootless launch"});
    else
        out.push_back({"user-namespaces", "missing", f.userns_why,
                       "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, "
                       "user.max_user_namespaces > 0, or an AppArmor profile for bottle-run)"});
    out.push_back(f.seccomp ? protection{"seccomp", "active", "seccomp filters are supported: the deny list and the x32/32-bit refusal apply"}
                            : protection{"seccomp", "missing", "the kernel has no seccomp filter support", "use a kernel with CONFIG_SECCOMP_FILTER"});
    if (f.landlock_abi <= 0) {
        const std::string remedy = "use a kernel >= 5.13 with landlock in the lsm= list";
        out.push_back({"landlock-fs", "missing", f.landlock_why, remedy});
        out.push_back({"landlock-tcp", "missing", "no Landlock", "kernel >= 6.7 (Landlock ABI 4)"});
        out.push_back({"landlock-scopes", "missing", "no Landlock", "kernel >= 6.12 (Landlock ABI 6)"});
    } else {
        const std::string abi = "Landlock ABI " + std::to_string(f.landlock_abi);
        out.push_back({"landlock-fs", "active", abi + ": file access limited to the bottle's mounts (read-only system)"});
        out.push_back(f.landlock_abi >= 4 ? protection{"landlock-tcp", "active", abi + ": TCP bind refused, connect only to the proxy port"}
                                          : protection{"landlock-tcp", "missing", abi + " < 4", "kernel >= 6.7 (Landlock ABI 4)"});
        out.push_back(f.landlock_abi >= 6
                          ? protection{"landlock-scopes", "active", abi + ": abstract unix sockets and signals outside the bottle refused"}
                          : protection{"landlock-scopes", "missing", abi + " < 6", "kernel >= 6.12 (Landlock ABI 6)"});
    }
    switch (f.cgroups) {
        case cgroup_version::v2:
            out.push_back(f.cgroup_writable ? protection{"resources", "active", "cgroup v2 at " + f.cgroup_root + ": cpu, memory, pids; cgroup.kill at teardown"}
                                            : protection{"resources", "partial", "cgroup v2 is not writable by this user: rlimits only",
                                                         "delegate a cgroup subtree to the user (systemd: Delegate=yes)"});
            break;
        case cgroup_version::v1: {
            std::string ctrls;
            for (const auto& c : f.v1_controllers) ctrls += (ctrls.empty() ? "" : ", ") + c;
            out.push_back(f.cgroup_writable ? protection{"resources", "active", "cgroup v1 controllers (" + ctrls + ")"}
                                            : protection{"resources", "partial", "cgroup v1 (" + ctrls + ") not writable by this user: rlimits only",
                                                         "run as root or move the host to cgroup v2 with delegation"});
            break;
        }
        case cgroup_version::none:
            out.push_back({"resources", "partial", "no cgroup hierarchy mounted: rlimits only", "mount cgroup2 on /sys/fs/cgroup"});
            break;
    }
    return out;
}

std::string explain_text(const std::vector<protection>& list) {
    std::string out;
    for (const auto& p : list) {
        out += p.name + ": " + p.status + " - " + p.why + "\n";
        if (!p.remedy.empty()) out += "  remedy: " + p.remedy + "\n";
    }
    return out;
}

boost::json::value explain_json(const std::vector<protection>& list) {
    boost::json::array a;
    for (const auto& p : list) {
        boost::json::object o{{"name", p.name}, {"status", p.status}, {"why", p.why}};
        if (!p.remedy.empty()) o["remedy"] = p.remedy;
        a.push_back(std::move(o));
    }
    return boost::json::object{{"schema", "bot-bottle/run-explain/v1"}, {"backend", "native"}, {"protections", std::move(a)}};
}

}  // namespace bottle::run
