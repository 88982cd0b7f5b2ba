// tools/bottle-preflight/real_probes.cpp — see real_probes.hpp.
#include "bottle-preflight/real_probes.hpp"

#include "unix_http.hpp"

#include "bottle/os/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

extern char** environ;

namespace bottle::preflight {

namespace {


std::string errno_text(int e) { return std::strerror(e); }

/// The caller's environment with LC_ALL=C, so tools print untranslated,
/// parseable version strings.
std::vector<std::string> c_locale_environment() {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e)
        if (std::strncmp(*e, "LC_ALL=", 7) != 0) env.emplace_back(*e);
    env.emplace_back("LC_ALL=C");
    return env;
}

}  // namespace

result<std::string> real_probes::read_file(const std::string& path) {
    return os_.read_file(path, max_probe_file_bytes);
}

result<file_status> real_probes::stat(const std::string& path) {
    struct ::stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return file_status{};
        return make_error(errno == EACCES ? errc::permission_denied : errc::io_error,
                          "cannot stat " + path + ": " + errno_text(errno));
    }
    file_status s;
    s.size = static_cast<std::uint64_t>(st.st_size);
    s.kind = S_ISREG(st.st_mode)    ? file_kind::regular
             : S_ISDIR(st.st_mode)  ? file_kind::directory
             : S_ISSOCK(st.st_mode) ? file_kind::socket
             : S_ISCHR(st.st_mode)  ? file_kind::character_device
                                    : file_kind::other;
    return s;
}

std::optional<std::string> real_probes::find_in_path(const std::string& name) {
    if (name.empty() || name.find('/') != std::string::npos) return std::nullopt;
    const char* path_env = std::getenv("PATH");
    const std::string_view path = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find(':', start), path.size());
        std::string dir(path.substr(start, end - start));
        start = end + 1;
        if (dir.empty()) continue;  // "." entries are ignored on purpose: never run a binary from the cwd
        if (dir.front() != '/') continue;
        const std::string candidate = dir + "/" + name;
        struct ::stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return std::nullopt;
}

result<command_output> real_probes::run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    if (argv.empty() || argv.front().empty() || argv.front().front() != '/')
        return make_error(errc::invalid_argument, "run: argv[0] must be an absolute path");
    os::spawn_request request;
    request.argv = argv;
    request.env = c_locale_environment();
    request.output_cap = detail::max_captured_output;
    request.timeout = std::max(timeout, std::chrono::milliseconds(1));
    auto out = os_.spawn(request);
    if (!out) return out.error();
    command_output result;
    result.exit_code = out->exit_code;  // -1 when a signal ended it or it timed out
    result.timed_out = out->timed_out;
    result.out = std::move(out->out);
    result.err = std::move(out->err);
    return result;
}

int real_probes::open_read_write(const std::string& path) {
    const os::unique_fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY));
    return fd ? 0 : errno;
}

syscall_outcome real_probes::landlock_abi_version() {
#if defined(__linux__)
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
    constexpr unsigned create_ruleset_version = 1U << 0;  // LANDLOCK_CREATE_RULESET_VERSION
    const long v = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, create_ruleset_version);
    if (v < 0) return {-1, errno};
    return {v, 0};
#else
    return {-1, ENOSYS};
#endif
}

result<http_reply> real_probes::unix_http_get(const std::string& socket_path, const std::string& target, std::chrono::milliseconds timeout) {
    return local_unix_http_get(socket_path, target, timeout);
}

std::optional<std::string> real_probes::getenv(const std::string& name) {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
}

std::string real_probes::os_name() {
    struct ::utsname u {};
    if (::uname(&u) != 0) return "unknown";
    return u.sysname;
}

unsigned real_probes::effective_uid() { return static_cast<unsigned>(::geteuid()); }

}  // namespace bottle::preflight
