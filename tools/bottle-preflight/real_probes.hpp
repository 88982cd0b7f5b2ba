// tools/bottle-preflight/real_probes.hpp — system_probes on the real OS.
//
// Processes and files go through the OS layer (bottle::os, an os::system the
// caller may replace): commands run with os::spawn in their own process
// group with a deadline; at the deadline the group is SIGKILLed and reaped,
// so a stuck `docker` or `smolvm` can never hang preflight. Output is capped
// at 256 KiB per stream (the rest is read and dropped so the child never
// blocks on a full pipe). The unix-socket client talks only to a local
// socket path; it never resolves or dials a host.
#pragma once

#include "system_probes.hpp"

#include "bottle/os/system.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace bottle::preflight {

namespace detail {
/// Output kept per stream of a command; the rest is read and dropped.
inline constexpr std::size_t max_captured_output = 256 * 1024;
}  // namespace detail

class real_probes final : public system_probes {
public:
    /// `sys` runs the processes and reads the files; tests may pass a fake.
    explicit real_probes(os::system& sys = os::real()) noexcept : os_(sys) {}

    result<std::string> read_file(const std::string& path) override;

    result<file_status> stat(const std::string& path) override;

    std::optional<std::string> find_in_path(const std::string& name) override;

    result<command_output> run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) override;

    int open_read_write(const std::string& path) override;

    syscall_outcome landlock_abi_version() override;

    result<http_reply> unix_http_get(const std::string& socket_path, const std::string& target, std::chrono::milliseconds timeout) override;

    std::optional<std::string> getenv(const std::string& name) override;

    unsigned effective_uid() override;

    std::string os_name() override;

private:
    os::system& os_;
};

}  // namespace bottle::preflight
