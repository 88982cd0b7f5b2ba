// escape-tests/lab/memory_limits.hpp — what really confines the sandbox's
// memory, read from outside (issue 8 §4, res.memory).
//
// How much memory a probe managed to touch in a time budget says more about
// the machine's speed than about the sandbox. What decides whether a runaway
// agent can take the host's memory is the limits the kernel enforces on the
// sandbox's processes, and the lab host can read those itself:
// * the memory cgroup the process is in, and every ancestor up to the root
//   (a limit anywhere on the path applies): memory.limit_in_bytes (v1) or
//   memory.max (v2);
// * the process's soft RLIMIT_AS and RLIMIT_DATA (/proc/PID/limits; since
//   Linux 4.7 RLIMIT_DATA also caps private anonymous mappings).
// The tightest of these is the process's effective limit. The lab host
// samples every bottle-probe process of the run while the sandbox runs
// (lab/host.cpp) and logs each distinct confinement as a "host.limits"
// event; runner/memory_verdict.hpp judges them against the host's memory.
//
// Under gVisor the probe runs inside gVisor's own kernel: no host process is
// bottle-probe. What holds its memory there is the host process that is that
// kernel (runsc's sandbox process, argv[0] "runsc-sandbox", the "sentry") and
// the container cgroup it is in. A profile names such processes by argv[0]
// ("memory_process", runner/profile.hpp); the lab host samples every one of
// them that appears while the sandbox command runs (ones already there when
// it starts, such as a sibling container the setup started, are not the
// sandbox's), the same way, and says which process each record is about.
// The lab host is PID 1 of its own pid namespace, so every process it sees
// belongs to this run.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::escape::lab {

using byte_count = unsigned long long;

struct memory_confinement {
    int pid = 0;
    std::string cgroup;                  ///< "memory:/docker/abc" (v1) or "/user.slice/x" (v2); "" when unknown
    std::optional<byte_count> cgroup_limit;  ///< the tightest limit on the cgroup's path; nullopt: none
    std::string cgroup_limit_at;         ///< the cgroup (relative path) that sets it
    std::optional<byte_count> rlimit_as;    ///< soft limit; nullopt: unlimited
    std::optional<byte_count> rlimit_data;  ///< soft limit; nullopt: unlimited
    std::string unreadable;              ///< what could not be read ("" when all was)
    std::string process;                 ///< set for a profile's memory_process match: its argv[0] name

    /// The tightest of the three, nullopt when none is set.
    [[nodiscard]] std::optional<byte_count> effective() const;
    /// One line ("pid 12 (runsc-sandbox): ..." when `process` is set): "pid 12: cgroup memory:/x limit 1073741824 (memory:/x), RLIMIT_AS unlimited, RLIMIT_DATA unlimited".
    [[nodiscard]] std::string describe() const;
};

/// A small file's content by plain read(2), nullopt on any error. /proc
/// files of a process that is exiting fail with ESRCH mid-read, which an
/// std::ifstream turns into an exception.
[[nodiscard]] std::optional<std::string> read_small_file(const std::filesystem::path& p, std::size_t cap = 1 << 20);

/// The memory cgroup named by /proc/PID/cgroup text: {"v1", path} from a
/// hierarchy line listing the memory controller, else {"v2", path} from the
/// unified "0::" line; nullopt when neither is there.
struct cgroup_ref {
    std::string version;  ///< "v1" or "v2"
    std::string path;     ///< as the file shows it ("/docker/abc")
};
[[nodiscard]] std::optional<cgroup_ref> memory_cgroup(std::string_view proc_cgroup);

/// A soft limit from /proc/PID/limits text by its row name ("Max address
/// space"); nullopt when "unlimited"; `found` false when the row is missing
/// or unparsable.
[[nodiscard]] std::optional<byte_count> soft_limit(std::string_view proc_limits, std::string_view row, bool& found);

/// A cgroup limit file's value: nullopt for "max" (v2) or the v1 "unlimited"
/// page-counter ceiling (anything at or above 2^62); `ok` false when unparsable.
[[nodiscard]] std::optional<byte_count> cgroup_limit_value(std::string_view text, bool& ok);

/// Reads the confinement of the process whose /proc directory is `proc_pid`,
/// with cgroup file systems mounted under `cgroup_root` (/sys/fs/cgroup:
/// v1 memory at cgroup_root/memory, v2 at cgroup_root itself).
[[nodiscard]] memory_confinement read_memory_confinement(int pid, const std::filesystem::path& proc_pid,
                                                         const std::filesystem::path& cgroup_root);

/// The host's memory (MemTotal of /proc/meminfo text), in bytes.
[[nodiscard]] std::optional<byte_count> mem_total(std::string_view proc_meminfo);

/// The sink name and data of the event the lab host logs per distinct
/// confinement (runner/memory_verdict.hpp reads it back):
/// "effective=N|unlimited complete=yes|no; <describe()>".
inline constexpr std::string_view limits_sink = "host.limits";
[[nodiscard]] inline std::string limits_event_data(std::optional<byte_count> effective, bool complete,
                                                   const std::string& description) {
    return "effective=" + (effective ? std::to_string(*effective) : std::string("unlimited")) +
           " complete=" + (complete ? "yes" : "no") + "; " + description;
}

/// True when `cmdline` (NUL-separated argv of a process) is bottle-probe run
/// for this run: argv[0] names bottle-probe and "--nonce" is followed by
/// `nonce`. A launcher that carries the probe's command line as one argument
/// (sh -c, srt -c, strace) is not the probe, and is outside the sandbox.
[[nodiscard]] bool is_probe_of_run(std::string_view cmdline, std::string_view nonce);

/// A profile's "memory_process" value is a program name: non-empty, at most
/// 64 characters, no '/', no whitespace or control character.
[[nodiscard]] inline bool valid_memory_process_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (const char ch : name)
        if (ch == '/' || static_cast<unsigned char>(ch) <= ' ' || ch == 0x7f) return false;
    return true;
}

/// True when `cmdline` (NUL-separated argv) is a process named `name` by a
/// profile's "memory_process": the last '/'-part of argv[0] equals it
/// exactly (runsc's sandbox process runs as argv[0] "runsc-sandbox"; its
/// comm is "exe"). A launcher carrying the name as a later argument is not it.
[[nodiscard]] bool is_memory_process(std::string_view cmdline, std::string_view name);

/// True when the process at `proc_pid` still runs `cmdline` and is not on
/// its way out (not a zombie, PF_EXITING clear): a sample read from it stands.
/// An exiting task can already show the root cgroup, which would read as
/// "no limit" (a false ESCAPED for res.memory, seen once in 4 runs of a
/// short-lived probe child).
[[nodiscard]] bool still_running(const std::string& proc_pid, std::string_view cmdline);

/// Samples the memory limits of the run's bottle-probe processes while the
/// sandbox runs (the lab host calls sample() every 200 ms): one host.limits
/// event per distinct confinement, appended to `log_fd`. With a
/// `memory_process` name, also those of every process it names that was not
/// there when the sampler was made (just before the sandbox command starts).
class limits_sampler {
public:
    limits_sampler(std::string nonce, int log_fd, std::string memory_process = {});
    /// Returns how many of the run's bottle-probe processes are alive (a
    /// memory_process is not counted: it is not the agent).
    int sample();

private:
    void log_confinement(const memory_confinement& c);
    std::string nonce_;
    int log_fd_;
    std::string memory_process_;
    std::set<int> before_;        // memory_process matches alive before the sandbox command
    std::set<std::string> seen_;  // confinements already logged (without the pid)
};

}  // namespace bottle::escape::lab
