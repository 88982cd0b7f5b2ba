#include "tools.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bottle::escape::lab {

namespace fs = std::filesystem;

bool hidden_in_lab(const fs::path& absolute_path) {
    const fs::path p = absolute_path.lexically_normal();
    for (const char* replaced : {"/tmp", "/var/tmp", "/run", "/root", "/home"}) {
        const fs::path r(replaced);
        auto pi = p.begin();
        auto ri = r.begin();
        for (; ri != r.end() && pi != p.end() && *pi == *ri; ++pi, ++ri) {}
        if (ri == r.end()) return true;
    }
    return false;
}

staged_tools plan_tool_staging(const fs::path& tools_dir, const tool_paths& host) {
    staged_tools s;
    const fs::path probe = fs::absolute(host.probe).lexically_normal();
    const fs::path profiles = fs::absolute(host.profiles).lexically_normal();
    s.in_lab.probe = tools_dir / "bottle-probe";
    s.in_lab.profiles = tools_dir / "profiles";
    s.binds.push_back({probe, s.in_lab.probe, false, true});
    s.binds.push_back({profiles, s.in_lab.profiles, true, true});
    if (!host.node_bin.empty()) {
        const fs::path node_bin = fs::absolute(host.node_bin).lexically_normal();
        // .bin holds relative links into its node_modules: bind the whole tree.
        const bool dot_bin = node_bin.filename() == ".bin";
        const fs::path source = dot_bin ? node_bin.parent_path() : node_bin;
        std::error_code ec;
        if (fs::is_directory(source, ec)) {
            const fs::path target = tools_dir / (dot_bin ? "node_modules" : "node_bin");
            s.binds.push_back({source, target, true, false});
            s.in_lab.node_bin = dot_bin ? target / ".bin" : target;
        }
    }
    return s;
}

result<void> make_mount_points(const staged_tools& staged) {
    for (const auto& b : staged.binds) {
        std::error_code ec;
        fs::create_directories(b.directory ? b.target : b.target.parent_path(), ec);
        if (!ec && !b.directory) {
            const int fd = ::open(b.target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
            if (fd < 0) ec = std::error_code(errno, std::generic_category());
            else ::close(fd);
        }
        if (ec) return make_error(errc::io_error, "cannot create the mount point " + b.target.string() + ": " + ec.message());
    }
    return {};
}

result<void> bind_tools(const std::vector<lab_bind>& binds) {
    for (const auto& b : binds) {
        if (mount(b.source.c_str(), b.target.c_str(), nullptr, MS_BIND, nullptr) != 0)
            return make_error(errc::io_error,
                              "bind " + b.source.string() + " on " + b.target.string() + ": " + std::strerror(errno));
        if (b.read_only &&
            mount(nullptr, b.target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0)
            return make_error(errc::io_error, "make " + b.target.string() + " read-only: " + std::strerror(errno));
    }
    return {};
}

}  // namespace bottle::escape::lab
