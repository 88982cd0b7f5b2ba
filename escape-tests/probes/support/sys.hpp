// System helpers for the process, filesystem, privilege, kernel and resource
// probes: raw syscalls with errno capture and "did the kernel process it?"
// classification, a forked-child runner with a deadline, /proc parsing
// (mountinfo, status fields, directory listings), capability names and small
// byte-formatting helpers. Static-binary safe: libc/POSIX/Linux only.
#pragma once

#include "../probe.hpp"

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::escape::probe::support {

/// Result of a raw syscall: return value and errno (0 when it succeeded).
struct sys_result {
    long ret = -1;
    int err = 0;
    [[nodiscard]] bool ok() const noexcept { return err == 0 && ret >= 0; }
};

/// syscall(nr, a...) with errno captured right after the call.
[[nodiscard]] sys_result raw_syscall(long nr, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0,
                                     long a6 = 0);

/// The kernel accepted the call: it succeeded, or failed with one of
/// `processed`, the errors that, for the arguments given, only come after
/// the permission check (per call: EINVAL from a bogus flag after a
/// capability check, E2BIG from an empty program, ...). Any other error —
/// EPERM, EACCES and ENOSYS from filters, but also an errno the call was not
/// expected to give — is not acceptance: a sandbox's fake answer must match
/// the one real answer to count.
[[nodiscard]] bool accepted(const sys_result& r, std::initializer_list<int> processed) noexcept;

/// "ok (ret 3)", "EINVAL (accepted: processed past the permission check)"
/// or "EPERM (refused)", by the same rule.
[[nodiscard]] std::string classify(const sys_result& r, std::initializer_list<int> processed = {});

/// What a forked child did.
struct child_result {
    bool started = false;   ///< fork succeeded
    bool exited = false;    ///< exited normally (code below)
    int code = -1;
    int signal = 0;         ///< terminating signal, 0 if none
    bool timed_out = false; ///< killed at the deadline
    std::string out;        ///< what the child wrote to its pipe
    int fork_err = 0;
    /// "exit 0" / "killed by signal 9 (SIGKILL)" / "timed out" / "fork: EAGAIN".
    [[nodiscard]] std::string describe() const;
};

/// Turns a child's findings into attempts: each line "R action: outcome"
/// (reached) or "- action: outcome" (not reached) becomes one attempt named
/// "<prefix>: action". A child that wrote nothing gives one attempt saying
/// how it ended.
void report_child_lines(const std::string& prefix, const child_result& r, report& rep);

/// Forks; the child runs `fn(fd)` (writing its findings to fd) then _exit(0).
/// The parent reads fd until EOF or `timeout_ms`, kills the child at the
/// deadline (SIGKILL) and reaps it. Nothing the child does outlives the call
/// (PR_SET_PDEATHSIG too).
[[nodiscard]] child_result run_in_child(const std::function<void(int fd)>& fn, int timeout_ms);

/// write() all of `data` to fd (best effort).
void write_all(int fd, std::string_view data);

/// Directory entries (without . and ..), sorted; empty on error (err set).
[[nodiscard]] std::vector<std::string> list_dir(const std::string& path, int* err = nullptr);

/// readlink(2) as a string; empty on error.
[[nodiscard]] std::string read_link(const std::string& path);

/// Value of "Key:" in /proc/self/status (trimmed), or nullopt.
[[nodiscard]] std::optional<std::string> status_field(std::string_view key, const std::string& path = "/proc/self/status");

/// One /proc/self/mountinfo line.
struct mount_entry {
    int id = 0;
    int parent = 0;
    unsigned major = 0;
    unsigned minor = 0;
    std::string root;         ///< root of the mount within its filesystem
    std::string mount_point;
    std::string options;      ///< per-mount options ("rw,nosuid,...")
    std::string fstype;
    std::string source;
    std::string super_options;
    [[nodiscard]] bool read_write() const;  ///< "rw" in options and super options
    [[nodiscard]] bool has_option(std::string_view opt) const;
};
[[nodiscard]] std::vector<mount_entry> parse_mountinfo(std::string_view text);

/// True for filesystem types backed by a block device (ext4, xfs, btrfs, ...).
[[nodiscard]] bool is_block_fs(std::string_view fstype) noexcept;

/// True when this process's uid_map is the identity over the whole range,
/// i.e. it runs in the initial user namespace (root here is real root).
[[nodiscard]] bool in_initial_userns();

/// Capability name ("CAP_SYS_ADMIN") for a number, "cap_N" if unknown.
[[nodiscard]] std::string cap_name(int cap);
inline constexpr int cap_sys_admin = 21;

/// Effective/permitted/inheritable sets from capget (v3), ok=false on error.
struct cap_sets {
    bool ok = false;
    int err = 0;
    std::uint64_t effective = 0, permitted = 0, inheritable = 0;
};
[[nodiscard]] cap_sets get_caps();

/// "CAP_CHOWN,CAP_SYS_ADMIN" for a mask ("none" if empty).
[[nodiscard]] std::string cap_list(std::uint64_t mask);

/// Lowercase hex of up to `max` bytes (".." appended when cut).
[[nodiscard]] std::string hex(std::string_view bytes, std::size_t max = 64);

/// Environment variable or "" when unset.
[[nodiscard]] std::string env(const char* name);

/// Milliseconds since an arbitrary fixed point (steady clock).
[[nodiscard]] long long now_ms();

/// Unique temp directory "<base>/<prefix>XXXXXX" (first writable of /tmp,
/// /var/tmp, the cwd); empty on failure, `err` set.
[[nodiscard]] std::string make_temp_dir(const std::string& prefix, int* err = nullptr);

/// Enter a fresh mount namespace (with a new user namespace mapping the
/// current ids to 0 when `with_userns`) and make every mount private, so
/// nothing mounted afterwards can propagate back. Returns "" on success or
/// a description of the step that failed; mounts must not be attempted then.
[[nodiscard]] std::string enter_private_mount_ns(bool with_userns);

}  // namespace bottle::escape::probe::support
