// bottle-agent-start --login (login_copy.hpp).
#include "login_copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace bottle::agent_start {

namespace {

constexpr std::size_t login_max = 1 << 20;

std::vector<std::string> parts_of(const std::string& relative) {
    std::vector<std::string> parts;
    std::size_t at = 0;
    while (at <= relative.size()) {
        const auto slash = relative.find('/', at);
        const auto end = slash == std::string::npos ? relative.size() : slash;
        parts.push_back(relative.substr(at, end - at));
        at = end + 1;
    }
    return parts;
}

std::string failure(const std::string& what, const std::string& path) { return what + " " + path + ": " + std::strerror(errno); }

/// close(2) that leaves errno as it was (the failure being reported).
void close_keeping_errno(int fd) {
    const int e = errno;
    ::close(fd);
    errno = e;
}

}  // namespace

std::optional<login_spec> parse_login_spec(const char* text, std::string& why) {
    const std::string t = text;
    const auto eq = t.find('=');
    if (eq == std::string::npos) {
        why = "expected SOURCE=RELATIVE";
        return std::nullopt;
    }
    login_spec s{t.substr(0, eq), t.substr(eq + 1)};
    if (s.source.empty() || s.source.front() != '/') {
        why = "SOURCE must be an absolute path";
        return std::nullopt;
    }
    if (s.relative.empty() || s.relative.size() > 1024 || s.relative.front() == '/') {
        why = "RELATIVE must be a path under HOME (not absolute, at most 1024 bytes)";
        return std::nullopt;
    }
    for (const auto& p : parts_of(s.relative))
        if (p.empty() || p == "." || p == "..") {
            why = "RELATIVE must not have an empty, '.' or '..' part";
            return std::nullopt;
        }
    return s;
}

bool place_login(const login_spec& spec, const char* home, std::string& why) {
    auto fail = [&](const std::string& what, const std::string& path) {
        why = failure(what, path);
        return false;
    };
    if (!home || home[0] != '/') {
        why = "HOME is not an absolute path";
        return false;
    }
    std::string content;
    {
        const int src = ::open(spec.source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (src < 0) return fail("open", spec.source);
        char buf[16384];
        ssize_t n = 0;
        while ((n = ::read(src, buf, sizeof buf)) != 0 && content.size() <= login_max) {
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) break;
            content.append(buf, static_cast<std::size_t>(n));
        }
        close_keeping_errno(src);
        if (n < 0) return fail("read", spec.source);
        if (content.size() > login_max) {
            why = spec.source + " is over 1 MiB";
            return false;
        }
    }
    // Down from HOME one part at a time, each a directory of ours (made 0700
    // when absent), never a symlink.
    int dir = ::open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return fail("open", home);
    const auto parts = parts_of(spec.relative);
    std::string path = home;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        path += "/" + parts[i];
        if (::mkdirat(dir, parts[i].c_str(), 0700) != 0 && errno != EEXIST) {
            close_keeping_errno(dir);
            return fail("mkdir", path);
        }
        const int next = ::openat(dir, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close_keeping_errno(dir);
        if (next < 0) return fail("open", path);
        dir = next;
    }
    path += "/" + parts.back();
    const int fd = ::openat(dir, parts.back().c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    close_keeping_errno(dir);
    if (fd < 0) return fail("create", path);
    for (std::size_t off = 0; off < content.size();) {
        const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            close_keeping_errno(fd);
            return fail("write", path);
        }
        off += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) return fail("write", path);
    return true;
}

}  // namespace bottle::agent_start
