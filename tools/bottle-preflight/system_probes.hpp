// tools/bottle-preflight/system_probes.hpp — everything a check may ask the OS.
//
// Checks never touch the system directly: they call this interface, so unit
// tests drive every ok/warn/fail path with a fake (tests/preflight/) and the
// tool runs them against `real_probes` (real_probes.hpp). Each method states
// what the real implementation promises; fakes must keep the same contract.
#pragma once

#include "bottle/result.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bottle::preflight {

/// The largest file `read_file` returns (limit named in its error).
inline constexpr std::size_t max_probe_file_bytes = 1 << 20;

enum class file_kind { missing, regular, directory, socket, character_device, other };

struct file_status {
    file_kind kind = file_kind::missing;
    std::uint64_t size = 0;
};

/// What a finished (or killed) command produced.
struct command_output {
    int exit_code = -1;      ///< exit status; -1 when killed by a signal or timed out
    bool timed_out = false;  ///< killed at the deadline
    std::string out{};       ///< stdout (capped)
    std::string err{};       ///< stderr (capped)
};

/// An HTTP reply read from a local unix socket.
struct http_reply {
    int status = 0;          ///< e.g. 200
    std::string body{};
};

/// A raw syscall outcome: `value` when `error` is 0, else the errno.
struct syscall_outcome {
    long value = -1;
    int error = 0;
};

class system_probes {
public:
    virtual ~system_probes() = default;

    /// Whole file. errc::not_found if absent, permission_denied, limit_exceeded
    /// over max_probe_file_bytes, io_error otherwise.
    [[nodiscard]] virtual result<std::string> read_file(const std::string& path) = 0;

    /// What is at `path` (following symlinks). Absent is kind `missing`, not an
    /// error; other failures (EACCES on a parent, ...) are errors.
    [[nodiscard]] virtual result<file_status> stat(const std::string& path) = 0;

    /// Absolute path of the executable `name` found on PATH, or nullopt.
    [[nodiscard]] virtual std::optional<std::string> find_in_path(const std::string& name) = 0;

    /// Runs argv (argv[0] an absolute path, no shell) with stdin from
    /// /dev/null and LC_ALL=C, capturing output; the command and its process
    /// group are killed at `timeout`, so this never hangs. Errors only when
    /// the command could not be started.
    [[nodiscard]] virtual result<command_output> run(const std::vector<std::string>& argv,
                                                     std::chrono::milliseconds timeout) = 0;

    /// Opens `path` read-write and closes it again: 0 on success, else errno.
    [[nodiscard]] virtual int open_read_write(const std::string& path) = 0;

    /// landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION).
    [[nodiscard]] virtual syscall_outcome landlock_abi_version() = 0;

    /// GET `target` over HTTP/1.0 on the local unix socket `socket_path`,
    /// bounded by `timeout`. errc::not_found (no socket), permission_denied,
    /// timeout, io_error (refused, reset, malformed reply).
    [[nodiscard]] virtual result<http_reply> unix_http_get(const std::string& socket_path, const std::string& target,
                                                           std::chrono::milliseconds timeout) = 0;

    /// An environment variable; nullopt when unset.
    [[nodiscard]] virtual std::optional<std::string> getenv(const std::string& name) = 0;

    /// The effective user id.
    [[nodiscard]] virtual unsigned effective_uid() = 0;

    /// uname's sysname: "Linux", "Darwin", ...
    [[nodiscard]] virtual std::string os_name() = 0;
};

}  // namespace bottle::preflight
