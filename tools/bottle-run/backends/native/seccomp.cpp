// seccomp through libseccomp: allow by default, deny the plan's list with an
// errno (the agent sees a failed call, not a crash), and kill the process on
// any other architecture's entry (32-bit int 0x80, x32 numbers), which the
// rules could not otherwise see.
#include "bottle-run/backends/native/steps.hpp"

#include <seccomp.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace bottle::run::native {

namespace {

struct ctx_release {
    void operator()(void* c) const noexcept { seccomp_release(c); }
};

result<void> fail(const std::string& what, int rc) {
    return make_error(errc::io_error, "seccomp: " + what + ": " + std::strerror(-rc));
}

}  // namespace

result<void> apply_seccomp(const std::vector<seccomp_rule>& rules) {
    std::unique_ptr<void, ctx_release> ctx(seccomp_init(SCMP_ACT_ALLOW));
    if (!ctx) return make_error(errc::io_error, "seccomp: seccomp_init failed");
    if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS); rc < 0) return fail("bad-arch action", rc);
    for (const auto& r : rules) {
        const int nr = seccomp_syscall_resolve_name(r.syscall.c_str());
        if (nr == __NR_SCMP_ERROR) continue;  // not a call of this architecture
        int rc = 0;
        if (!r.when) {
            rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(static_cast<unsigned>(r.errno_value)), nr, 0);
        } else if (!r.when->masked_nonzero) {
            rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(static_cast<unsigned>(r.errno_value)), nr, 1,
                                  SCMP_CMP(r.when->arg, SCMP_CMP_MASKED_EQ, r.when->mask, r.when->value));
        } else {
            // "any of these bits set": one masked compare per bit.
            for (unsigned bit = 0; bit < 64 && rc >= 0; ++bit) {
                const std::uint64_t b = std::uint64_t{1} << bit;
                if (r.when->mask & b)
                    rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(static_cast<unsigned>(r.errno_value)), nr, 1,
                                          SCMP_CMP(r.when->arg, SCMP_CMP_MASKED_EQ, b, b));
            }
        }
        if (rc < 0) return fail("rule for " + r.syscall, rc);
    }
    if (int rc = seccomp_load(ctx.get()); rc < 0) return fail("load", rc);
    return {};
}

}  // namespace bottle::run::native
