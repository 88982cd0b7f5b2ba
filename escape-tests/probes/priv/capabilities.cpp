// priv.capabilities — the privileges the sandbox leaves: effective, permitted,
// inheritable, ambient and bounding capability sets, no_new_privs, seccomp
// mode, user namespace mapping. Reached when CAP_SYS_ADMIN is effective in the
// initial user namespace (real root's most powerful capability).
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <sys/prctl.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(priv_capabilities, "priv.capabilities",
             "capability sets (capget, PR_CAPBSET_READ), NoNewPrivs, Seccomp, user namespace mapping",
             bottle::escape::probe::scoring::self) {
    const auto caps = support::get_caps();
    if (!caps.ok) {
        rep.attempt("capget", support::errno_name(caps.err));
    } else {
        rep.observe("effective: " + support::cap_list(caps.effective));
        rep.observe("permitted: " + support::cap_list(caps.permitted));
        rep.observe("inheritable: " + support::cap_list(caps.inheritable));
    }
    std::uint64_t bounding = 0;
    int probed = 0;
    for (int c = 0; c < 64; ++c) {
        const int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
        if (r < 0) break;  // EINVAL past the last capability
        ++probed;
        if (r == 1) bounding |= std::uint64_t{1} << c;
    }
    rep.observe("bounding (" + std::to_string(probed) + " probed): " + support::cap_list(bounding));
    for (const char* key : {"CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters", "Uid", "Gid"}) {
        const auto v = support::status_field(key);
        rep.observe(std::string(key) + ": " + v.value_or("(absent)"));
    }
    const auto uid_map = support::read_file("/proc/self/uid_map");
    rep.observe("uid_map: " + (uid_map.ok ? uid_map.data : support::errno_name(uid_map.err)));
    const bool initial = support::in_initial_userns();
    const bool admin = caps.ok && ((caps.effective >> support::cap_sys_admin) & 1U) != 0;
    rep.attempt("CAP_SYS_ADMIN effective", std::string(admin ? "yes" : "no") + (initial ? ", initial user namespace" : ", in a child user namespace"),
                admin && initial);
    rep.attempt("capabilities effective (any)", caps.ok ? support::cap_list(caps.effective) : "capget failed", false);
}
