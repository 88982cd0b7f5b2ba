// tools/bottle-run/protected_dirs.hpp — the protected workspace directories a
// launch created (absent .git, .claude, .github/workflows, ...: mount
// points or shares need a source), removed at its end only when no other
// launch still shares them.
//
// Why: two bottles on one workspace share those directories. If the first
// to end removed one, the other's read-only mount of it would be detached
// (Linux detaches mounts of a directory removed in another mount namespace)
// and its agent could recreate it writable: .git/config or a workflow that
// the host later runs. So every launcher with a workspace holds a shared
// flock on the workspace directory for its whole life (taken before it looks
// at the protected paths), and removes what it created only when it can turn
// that into an exclusive lock without waiting: then no other launcher of any
// backend or user shares the workspace. Otherwise the empty directories stay
// (harmless; the last one out does not know of them).
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

namespace bottle::run {

class created_protected_dirs {
public:
    created_protected_dirs() = default;
    /// Holds a shared lock on `workspace` from here to destruction (an empty
    /// path or a directory that cannot be opened: no lock, nothing removed).
    explicit created_protected_dirs(const std::string& workspace) { hold(workspace); }
    created_protected_dirs(const created_protected_dirs&) = delete;
    created_protected_dirs& operator=(const created_protected_dirs&) = delete;
    ~created_protected_dirs() {
        remove_if_alone();
        if (fd_ >= 0) ::close(fd_);
    }

    void hold(const std::string& workspace) {
        if (fd_ >= 0 || workspace.empty()) return;
        fd_ = ::open(workspace.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd_ < 0) return;
        while (::flock(fd_, LOCK_SH) != 0) {
            if (errno == EINTR) continue;
            ::close(fd_);
            fd_ = -1;
            return;
        }
    }

    /// A directory this launch created, parents before children.
    void add(std::string path) { made_.push_back(std::move(path)); }
    [[nodiscard]] const std::vector<std::string>& made() const noexcept { return made_; }

    /// Removes what was created (deepest first, only empty ones) if no other
    /// launcher holds the workspace; else leaves it. Idempotent.
    void remove_if_alone() noexcept {
        if (made_.empty()) return;
        if (fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) == 0) {
            for (auto it = made_.rbegin(); it != made_.rend(); ++it) (void)::rmdir(it->c_str());
            (void)::flock(fd_, LOCK_SH);
        }
        made_.clear();
    }

private:
    int fd_ = -1;
    std::vector<std::string> made_{};
};

}  // namespace bottle::run
