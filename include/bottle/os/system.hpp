// bottle/os/system.hpp — the seam: every OS call a tool makes, replaceable.
//
// Tools take an `os::system&` and call through it; `real()` is the machine,
// and a test passes a fake that scripts outcomes or breaks exactly one call
// (the pattern of preflight's system_probes, one level down). The free
// functions (os::spawn, os::read_file, ...) are the real implementations
// and stay usable directly where no test needs to step in.
//
// Each method has the contract of the free function of the same name; a
// fake must keep it (errors as values, the same errc for the same failure).
#pragma once

#include "bottle/os/fd_passing.hpp"
#include "bottle/os/file.hpp"
#include "bottle/os/netns.hpp"
#include "bottle/os/signals.hpp"
#include "bottle/os/spawn.hpp"
#include "bottle/result.hpp"

#include <sys/types.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace bottle::os {

class system {
public:
    virtual ~system() = default;

    [[nodiscard]] virtual result<spawn_output> spawn(const spawn_request& request) = 0;
    [[nodiscard]] virtual result<std::string> read_file(const std::string& path, std::size_t max_bytes) = 0;
    [[nodiscard]] virtual result<void> write_file(const std::string& path, std::string_view data, mode_t mode) = 0;
    [[nodiscard]] virtual result<void> enter_netns(const std::string& path) = 0;
    [[nodiscard]] virtual result<void> send_fds(int socket, std::span<const int> fds, std::string_view payload) = 0;
    [[nodiscard]] virtual result<received_fds> receive_fds(int socket, std::size_t max_fds,
                                                           std::size_t max_payload) = 0;
    [[nodiscard]] virtual result<void> kill_group(int pgid, int sig) = 0;
};

/// The machine: each method calls the free function of the same name.
class real_system final : public system {
public:
    result<spawn_output> spawn(const spawn_request& request) override;
    result<std::string> read_file(const std::string& path, std::size_t max_bytes) override;
    result<void> write_file(const std::string& path, std::string_view data, mode_t mode) override;
    result<void> enter_netns(const std::string& path) override;
    result<void> send_fds(int socket, std::span<const int> fds, std::string_view payload) override;
    result<received_fds> receive_fds(int socket, std::size_t max_fds, std::size_t max_payload) override;
    result<void> kill_group(int pgid, int sig) override;
};

/// The process-wide real_system (stateless; safe from any thread).
[[nodiscard]] system& real();

}  // namespace bottle::os
