// bottle/os/netns.hpp — moving the calling thread into a network namespace.
//
// setns(CLONE_NEWNET) changes the namespace of the *calling thread* only:
// sockets it creates afterwards live in the new namespace and keep it for
// their whole life, whichever thread uses them later. That is how a bottle's
// listener is made inside the bottle and served from outside. Use a thread of
// its own (or `scoped_netns`) so the rest of the process stays where it was.
// Needs CAP_SYS_ADMIN over the target namespace's user namespace.
#pragma once

#include "bottle/os/unique_fd.hpp"
#include "bottle/result.hpp"

#include <string>

namespace bottle::os {

/// Enters the namespace `fd` refers to (from /proc/PID/ns/net or
/// /run/netns/NAME). Errors: invalid_argument (not a network namespace);
/// permission_denied; io_error.
[[nodiscard]] result<void> enter_netns(int fd);

/// Opens `path` and enters it. Errors as above, plus not_found (no such path).
[[nodiscard]] result<void> enter_netns(const std::string& path);

/// Opens the network namespace a path names, e.g. "/proc/self/ns/net" or
/// "/run/netns/lab" (O_RDONLY | O_CLOEXEC). Errors: not_found,
/// permission_denied, invalid_argument (not a network namespace), io_error.
[[nodiscard]] result<unique_fd> open_netns(const std::string& path);

/// Enters a namespace for a scope and returns the thread to the one it was
/// in when the scope ends. Made by `enter`; if returning fails in the
/// destructor (it should not: we held the original open), the process is
/// aborted, because a thread silently left in a bottle's namespace would
/// open later sockets there.
class scoped_netns {
public:
    [[nodiscard]] static result<scoped_netns> enter(const std::string& path);
    scoped_netns(scoped_netns&&) noexcept = default;
    scoped_netns& operator=(scoped_netns&&) = delete;
    scoped_netns(const scoped_netns&) = delete;
    scoped_netns& operator=(const scoped_netns&) = delete;
    ~scoped_netns();

private:
    explicit scoped_netns(unique_fd original) noexcept : original_(std::move(original)) {}
    unique_fd original_;
};

}  // namespace bottle::os
