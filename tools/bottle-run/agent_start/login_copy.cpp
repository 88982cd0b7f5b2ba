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
    if (!home || home[0] != '/') {
        why = "HOME is not an absolute path";
        return false;
    }
    const int src = ::open(spec.source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (src < 0) return why = failure("open", spec.source), false;
    std::string content;
    char buf[16384];
    for (;;) {
        const ssize_t n = ::read(src, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            why = failure("read", spec.source);
            ::close(src);
            return false;
        }
        if (n == 0) break;
        content.append(buf, static_cast<std::size_t>(n));
        if (content.size() > login_max) {
            ::close(src);
            return why = spec.source + " is over 1 MiB", false;
        }
    }
    ::close(src);
    // Down from HOME one part at a time, each a directory of ours (made 0700
    // when absent), never a symlink.
    int dir = ::open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return why = failure("open", home), false;
    const auto parts = parts_of(spec.relative);
    std::string path = home;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        path += "/" + parts[i];
        if (::mkdirat(dir, parts[i].c_str(), 0700) != 0 && errno != EEXIST) {
            why = failure("mkdir", path);
            ::close(dir);
            return false;
        }
        const int next = ::openat(dir, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        ::close(dir);
        if (next < 0) return why = failure("open", path), false;
        dir = next;
    }
    path += "/" + parts.back();
    const int fd = ::openat(dir, parts.back().c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    ::close(dir);
    if (fd < 0) return why = failure("create", path), false;
    std::size_t off = 0;
    while (off < content.size()) {
        const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            why = failure("write", path);
            ::close(fd);
            return false;
        }
        off += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) return why = failure("write", path), false;
    return true;
}

}  // namespace bottle::agent_start
