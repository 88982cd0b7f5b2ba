// escape-tests/lab/lab_user.hpp — the lab's unprivileged user.
//
// People run bwrap, firejail, srt and codex as an ordinary user, so the lab
// runs sandboxes as one unless a profile says "run_as": "root" (a daemon's
// client, the controls). The user exists only in the lab: its uid/gid are
// chosen free on this host (none of its passwd/group entries uses them), and
// the lab host's mount namespace gets its own /etc/passwd and /etc/group
// with the user appended, so nothing of the host changes. Its HOME is the
// planted home, mounted at /home/bbx-lab (and, as before, /root).
#pragma once

#include "bottle/result.hpp"

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace bottle::escape::lab {

inline constexpr std::string_view lab_user_name = "bbx-lab";
inline constexpr std::string_view lab_user_home = "/home/bbx-lab";

struct lab_user {
    uid_t uid = 0;
    gid_t gid = 0;
};

/// The first id in [first, first + count) that neither `passwd` uses as a uid
/// nor `group` as a gid (both in /etc/passwd and /etc/group syntax). Fails
/// when every candidate is taken.
[[nodiscard]] result<lab_user> choose_lab_user(std::string_view passwd, std::string_view group, uid_t first = 64200,
                                               unsigned count = 100);

/// `passwd` / `group` with the lab user's entry appended.
[[nodiscard]] std::string passwd_with(std::string passwd, const lab_user& user);
[[nodiscard]] std::string group_with(std::string group, const lab_user& user);

/// Makes `path` and everything under it owned by the user (the planted home,
/// the workspace). Fails naming the first path it could not change.
[[nodiscard]] result<void> give_to(const std::filesystem::path& path, const lab_user& user);

}  // namespace bottle::escape::lab
