#include "bottle-preflight/checks_smolvm.hpp"

namespace bottle::preflight {

check_result check_smolvm_cli(system_probes& p) {
    const auto path = p.find_in_path("smolvm");
    if (!path)
        return make_check("smolvm.cli", smolvm_category, "smolvm CLI", check_status::fail, "smolvm is not on PATH",
                          "install smolvm (https://github.com/smol-machines/smolvm) and put it on PATH");
    return make_check("smolvm.cli", smolvm_category, "smolvm CLI", check_status::ok, *path);
}

check_result check_smolvm_version(system_probes& p) {
    const auto make = [](check_status s, std::string found, std::string remedy = {}) {
        return make_check("smolvm.version", smolvm_category, "smolvm version", s, std::move(found), std::move(remedy));
    };
    const std::string upgrade = "upgrade smolvm to >= " + smolvm_fixed_from_allowlist.text();
    const auto path = p.find_in_path("smolvm");
    if (!path) return make(check_status::warn, "not checked: smolvm is not on PATH (see smolvm.cli)");
    const auto run = run_version(p, *path);
    if (!run.failure.empty()) return make(check_status::fail, run.failure, upgrade);
    const auto v = find_version(run.output);
    if (!v)
        return make(check_status::warn, "cannot tell the version from '" + first_line(run.output) +
                                             "'; bottle-run --backend smolmachines refuses a version it cannot read", upgrade);
    if (*v < smolvm_first_enforcing)
        return make(check_status::fail,
                    "smolvm " + v->text() + " runs CIDR policies on the TSI backend, which does not enforce them (fixed in " +
                        smolvm_first_enforcing.text() + "): a VM's allowlist restricts nothing; bottle-run --backend smolmachines refuses it",
                    upgrade);
    if (*v < smolvm_fixed_from_allowlist)
        return make(check_status::warn,
                    "smolvm " + v->text() + ": `machine create --from` drops --allow-cidr before 1.8.0; "
                    "bottle-run compensates by verifying (and enforcing) the persisted allowlist before every start (docs/smolvm.md)",
                    upgrade);
    return make(check_status::ok, "smolvm " + v->text());
}

check_result check_smolvm_kvm(system_probes& p) {
    const auto make = [](check_status s, std::string found, std::string remedy = {}) {
        return make_check("smolvm.kvm", smolvm_category, "KVM device", s, std::move(found), std::move(remedy));
    };
    const std::string os = p.os_name();
    if (os != "Linux") return make(check_status::ok, "not Linux (" + os + "): smolvm uses the platform hypervisor");
    const int e = p.open_read_write("/dev/kvm");
    if (e == 0) return make(check_status::ok, "/dev/kvm opens read-write");
    if (e == EACCES || e == EPERM)
        return make(check_status::fail, "/dev/kvm exists but this user may not open it read-write (open: " + errno_name(e) + ")",
                    "sudo usermod -aG kvm $USER, then log in again");
    if (e == ENOENT || e == ENXIO || e == ENODEV) {
        std::string remedy;
        auto cpuinfo = p.read_file("/proc/cpuinfo");
        const auto has_flag = [&](const char* flag) {
            return cpuinfo && (cpuinfo->find(std::string(" ") + flag + " ") != std::string::npos ||
                               cpuinfo->find(std::string(" ") + flag + "\n") != std::string::npos);
        };
        if (has_flag("vmx")) remedy = "load the module: sudo modprobe kvm_intel";
        else if (has_flag("svm")) remedy = "load the module: sudo modprobe kvm_amd";
        else
            remedy = "enable hardware virtualization (VT-x/AMD-V in firmware, or nested virtualization for a VM), "
                     "then sudo modprobe kvm_intel (Intel) or sudo modprobe kvm_amd (AMD)";
        return make(check_status::fail, "/dev/kvm is missing, the kvm module is not loaded (open: " + errno_name(e) + ")", remedy);
    }
    return make(check_status::fail, "cannot open /dev/kvm read-write: " + errno_name(e),
                "check the device: ls -l /dev/kvm; dmesg | grep -i kvm");
}

result<std::string> smolvm_state_db_path(system_probes& p) {
    const bool mac = p.os_name() == "Darwin";
    const std::string tail = mac ? "/Library/Application Support/smolvm/server/smolvm.db" : "/.local/share/smolvm/server/smolvm.db";
    const auto absolute = [](const std::optional<std::string>& v) { return v && !v->empty() && v->front() == '/'; };
    if (auto dir = p.getenv("SMOLVM_DATA_DIR"); absolute(dir)) return *dir + tail;
    if (!mac) {
        if (auto xdg = p.getenv("XDG_DATA_HOME"); absolute(xdg)) return *xdg + "/smolvm/server/smolvm.db";
    }
    if (auto home = p.getenv("HOME"); absolute(home)) return *home + tail;
    return make_error(errc::not_found, "cannot locate the smolvm state database: SMOLVM_DATA_DIR, "
                                       "XDG_DATA_HOME and HOME are unset or not absolute paths");
}

check_result check_smolvm_state_db(system_probes& p) {
    const auto make = [](check_status s, std::string found, std::string remedy = {}) {
        return make_check("smolvm.state_db", smolvm_category, "smolvm state database", s, std::move(found), std::move(remedy));
    };
    auto path = smolvm_state_db_path(p);
    if (!path) return make(check_status::fail, path.error().message, "set HOME (or SMOLVM_DATA_DIR) to an absolute path");
    auto st = p.stat(*path);
    if (!st) return make(check_status::fail, "cannot inspect " + *path + ": " + st.error().message,
                         "check the permissions of the directories above it");
    switch (st->kind) {
        case file_kind::regular:
            return make(check_status::ok, *path + " (" + std::to_string(st->size) + " bytes)");
        case file_kind::missing:
            return make(check_status::warn, *path + " does not exist yet (smolvm creates it on first use)",
                        "run any smolvm machine command once (e.g. smolvm machine ls), or pass --db PATH to the tools");
        default:
            return make(check_status::fail, *path + " exists but is not a regular file",
                        "move it aside; smolvm recreates its database");
    }
}

std::vector<check_result> smolvm_checks(system_probes& p) {
    return {check_smolvm_cli(p), check_smolvm_version(p), check_smolvm_kvm(p), check_smolvm_state_db(p)};
}

}  // namespace bottle::preflight
