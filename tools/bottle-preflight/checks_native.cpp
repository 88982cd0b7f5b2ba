#include "bottle-preflight/checks_native.hpp"

namespace bottle::preflight {

check_result check_userns(system_probes& p) {
    const auto make = [](check_status s, std::string found, std::string remedy = {}) {
        return make_check("native.userns", native_category, "user namespaces", s, std::move(found), std::move(remedy));
    };
    const std::string path = "/proc/sys/user/max_user_namespaces";
    auto text = p.read_file(path);
    if (!text) {
        if (failed_with(text, errc::not_found))
            return make(check_status::fail, path + " is absent: the kernel has no user namespaces",
                        "use a kernel built with CONFIG_USER_NS=y");
        return make(check_status::fail, "cannot read " + path + ": " + text.error().message,
                    "run preflight where /proc is mounted and readable");
    }
    const auto max = parse_integer(*text);
    if (!max)
        return make(check_status::fail, path + " has unexpected content '" + first_line(*text) + "'",
                    "check it by hand: sysctl user.max_user_namespaces");
    if (*max <= 0)
        return make(check_status::fail, "user.max_user_namespaces=" + std::to_string(*max) + ": user namespaces are disabled",
                    "sudo sysctl -w user.max_user_namespaces=15000 (persist it in /etc/sysctl.d/60-bottle.conf)");
    std::string found = "user.max_user_namespaces=" + std::to_string(*max);
    // Debian's older kernels carry a patch with their own switch.
    if (auto clone = p.read_file("/proc/sys/kernel/unprivileged_userns_clone"); clone && parse_integer(*clone) == 0) {
        if (p.effective_uid() != 0)
            return make(check_status::fail, found + ", but kernel.unprivileged_userns_clone=0 forbids them for unprivileged users",
                        "sudo sysctl -w kernel.unprivileged_userns_clone=1 (persist it in /etc/sysctl.d/60-bottle.conf)");
        found += "; kernel.unprivileged_userns_clone=0 (root is exempt)";
    }
    return make(check_status::ok, found);
}

check_result check_apparmor_userns(system_probes& p) {
    const auto make = [](check_status s, std::string found, std::string remedy = {}) {
        return make_check("native.apparmor_userns", native_category, "AppArmor user-namespace restriction", s,
                          std::move(found), std::move(remedy));
    };
    const std::string path = "/proc/sys/kernel/apparmor_restrict_unprivileged_userns";
    const std::string remedy =
        "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (persist it in /etc/sysctl.d/60-bottle.conf), "
        "or load an AppArmor profile for bwrap that has the 'userns,' rule";
    auto text = p.read_file(path);
    if (!text) {
        if (failed_with(text, errc::not_found)) return make(check_status::ok, "no AppArmor user-namespace restriction on this kernel");
        return make(check_status::warn, "cannot read " + path + ": " + text.error().message,
                    "check it by hand: sysctl kernel.apparmor_restrict_unprivileged_userns");
    }
    const auto v = parse_integer(*text);
    if (v == 0) return make(check_status::ok, "kernel.apparmor_restrict_unprivileged_userns=0");
    if (v == 1) {
        if (p.effective_uid() == 0)
            return make(check_status::warn,
                        "kernel.apparmor_restrict_unprivileged_userns=1: root is exempt, bottles run by other users are not",
                        remedy);
        return make(check_status::fail,
                    "kernel.apparmor_restrict_unprivileged_userns=1: unprivileged user namespaces are blocked by AppArmor",
                    remedy);
    }
    return make(check_status::fail, path + " has unexpected content '" + first_line(*text) + "'", remedy);
}

check_result check_bwrap(system_probes& p) {
    const auto make = [](check_status s, std::string found, std::string remedy = {}) {
        return make_check("native.bwrap", native_category, "bubblewrap", s, std::move(found), std::move(remedy));
    };
    const std::string install = "sudo apt-get install bubblewrap (Debian/Ubuntu) or sudo dnf install bubblewrap (Fedora)";
    const auto path = p.find_in_path("bwrap");
    if (!path) return make(check_status::fail, "bwrap is not on PATH", install);
    const auto run = run_version(p, *path);
    if (!run.failure.empty()) return make(check_status::fail, run.failure, install);
    const auto v = find_version(run.output);
    if (!v) return make(check_status::warn, *path + " printed no version: '" + first_line(run.output) + "'", install);
    return make(check_status::ok, *path + " (bubblewrap " + v->text() + ")");
}

check_result check_seccomp(system_probes& p) {
    const auto make = [](check_status s, std::string found, std::string remedy = {}) {
        return make_check("native.seccomp", native_category, "seccomp filters", s, std::move(found), std::move(remedy));
    };
    const std::string kernel_remedy = "use a kernel built with CONFIG_SECCOMP=y and CONFIG_SECCOMP_FILTER=y (Linux >= 4.14)";
    std::string mode;  // the "Seccomp:" field of /proc/self/status, if any
    if (auto status = p.read_file("/proc/self/status")) {
        const auto at = status->find("\nSeccomp:");
        if (at != std::string::npos) mode = std::string(trim(status->substr(at + 9, status->find('\n', at + 1) - at - 9)));
    }
    const std::string mode_note = mode == "2" ? " (preflight itself already runs under a seccomp filter; nesting is allowed)" : "";
    auto actions = p.read_file("/proc/sys/kernel/seccomp/actions_avail");
    if (actions) {
        const std::string list(trim(*actions));
        const std::string padded = " " + list + " ";
        if (padded.find(" errno ") == std::string::npos || padded.find(" allow ") == std::string::npos)
            return make(check_status::fail, "seccomp actions '" + list + "' lack errno or allow", kernel_remedy);
        return make(check_status::ok, "filter actions: " + list + mode_note);
    }
    if (!mode.empty())
        return make(check_status::warn,
                    "Seccomp: " + mode + " in /proc/self/status but no /proc/sys/kernel/seccomp/actions_avail: "
                    "filter support unconfirmed (" + actions.error().message + ")", kernel_remedy);
    return make(check_status::fail, "no seccomp support visible (no actions_avail, no Seccomp field in /proc/self/status)",
                kernel_remedy);
}

check_result check_landlock(system_probes& p) {
    const auto make = [](check_status s, std::string found, std::string remedy = {}) {
        return make_check("native.landlock", native_category, "Landlock", s, std::move(found), std::move(remedy));
    };
    const auto abi = p.landlock_abi_version();
    if (abi.error == 0 && abi.value >= 4)
        return make(check_status::ok, "Landlock ABI " + std::to_string(abi.value) + " (filesystem and TCP connect rules)");
    if (abi.error == 0 && abi.value >= 1)
        return make(check_status::warn,
                    "Landlock ABI " + std::to_string(abi.value) +
                        ": filesystem rules only; TCP connect rules need ABI 4 (Linux 6.7); "
                        "egress is still confined by the bottle's network namespace",
                    "upgrade to Linux >= 6.7 for Landlock TCP rules");
    if (abi.error == EOPNOTSUPP) {
        std::string lsm = "lsm=landlock,<the current list>";
        if (auto current = p.read_file("/sys/kernel/security/lsm"); current && !trim(*current).empty())
            lsm = "lsm=landlock," + std::string(trim(*current));
        return make(check_status::warn, "Landlock is built into the kernel but not enabled at boot (EOPNOTSUPP)",
                    "add " + lsm + " to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, "
                    "then sudo update-grub) and reboot");
    }
    if (abi.error == ENOSYS)
        return make(check_status::warn, "landlock_create_ruleset is not implemented (ENOSYS): no Landlock in this kernel",
                    "use Linux >= 5.13 built with CONFIG_SECURITY_LANDLOCK=y and boot with lsm=...,landlock");
    if (abi.error != 0)
        return make(check_status::warn, "landlock_create_ruleset failed: " + errno_name(abi.error),
                    "check that Landlock is enabled: cat /sys/kernel/security/lsm");
    return make(check_status::warn, "landlock_create_ruleset returned unexpected ABI " + std::to_string(abi.value),
                "check that Landlock is enabled: cat /sys/kernel/security/lsm");
}

}  // namespace bottle::preflight

namespace bottle::preflight::detail {

std::string unescape_mount_field(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' &&
            s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
            out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

bool has_word(std::string_view list, std::string_view word, char sep) {
    std::size_t start = 0;
    while (start <= list.size()) {
        const auto end = std::min(list.find(sep, start), list.size());
        if (trim(list.substr(start, end - start)) == word) return true;
        start = end + 1;
    }
    return false;
}

}  // namespace bottle::preflight::detail

namespace bottle::preflight {

check_result check_cgroup_controller(system_probes& p, const std::string& controller) {
    const std::string id = "native.cgroup_" + controller;
    const auto make = [&](check_status s, std::string found, std::string remedy = {}) {
        return make_check(id, native_category, "cgroup " + controller + " controller", s, std::move(found), std::move(remedy));
    };
    auto mounts = p.read_file("/proc/self/mounts");
    if (!mounts)
        return make(check_status::fail, "cannot read /proc/self/mounts: " + mounts.error().message,
                    "run preflight where /proc is mounted and readable");
    std::vector<std::string> v2_mounts;
    std::string_view rest = *mounts;
    while (!rest.empty()) {
        const auto nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        std::string_view f[4];
        std::size_t n = 0, pos = 0;
        while (n < 4 && pos < line.size()) {
            const auto sp = std::min(line.find(' ', pos), line.size());
            f[n++] = line.substr(pos, sp - pos);
            pos = sp + 1;
        }
        if (n < 4) continue;
        const std::string where = detail::unescape_mount_field(f[1]);
        if (f[2] == "cgroup" && detail::has_word(f[3], controller, ','))
            return make(check_status::ok, "cgroup v1 hierarchy at " + where);
        if (f[2] == "cgroup2") v2_mounts.push_back(where);
    }
    for (const auto& where : v2_mounts) {
        auto list = p.read_file(where + "/cgroup.controllers");
        if (list && detail::has_word(trim(*list), controller, ' '))
            return make(check_status::ok, "cgroup v2 at " + where + " offers " + controller);
    }
    const std::string config = controller == "memory" ? "CONFIG_MEMCG=y" : "CONFIG_CGROUP_PIDS=y";
    auto table = p.read_file("/proc/cgroups");
    if (table) {
        std::string_view t = *table;
        while (!t.empty()) {
            const auto nl = t.find('\n');
            const std::string_view line = t.substr(0, nl);
            t = nl == std::string_view::npos ? std::string_view{} : t.substr(nl + 1);
            // subsys_name hierarchy num_cgroups enabled (tab separated)
            std::string_view cols[4];
            std::size_t n = 0, pos = 0;
            while (n < 4 && pos <= line.size()) {
                const auto tab = std::min(line.find('\t', pos), line.size());
                cols[n++] = line.substr(pos, tab - pos);
                pos = tab + 1;
            }
            if (n < 4 || cols[0] != controller) continue;
            if (trim(cols[3]) == "0")
                return make(check_status::fail, "the " + controller + " controller is disabled at boot (/proc/cgroups enabled=0)",
                            "remove cgroup_disable=" + controller + " from (or add cgroup_enable=" + controller +
                                " to) the kernel command line and reboot");
            const std::string mount_remedy =
                v2_mounts.empty() ? "mount it: sudo mkdir -p /sys/fs/cgroup/" + controller + " && sudo mount -t cgroup -o " +
                                        controller + " cgroup /sys/fs/cgroup/" + controller
                                  : "free it for cgroup v2 (unmount its v1 hierarchy) or boot with systemd.unified_cgroup_hierarchy=1";
            return make(check_status::fail,
                        "the " + controller + " controller is enabled in the kernel but no mounted hierarchy offers it",
                        mount_remedy);
        }
    }
    return make(check_status::fail, "the kernel has no " + controller + " cgroup controller",
                "use a kernel built with " + config);
}

std::vector<check_result> native_checks(system_probes& p) {
    return {check_userns(p),  check_apparmor_userns(p),          check_bwrap(p),
            check_seccomp(p), check_landlock(p),                 check_cgroup_controller(p, "pids"),
            check_cgroup_controller(p, "memory")};
}

}  // namespace bottle::preflight
