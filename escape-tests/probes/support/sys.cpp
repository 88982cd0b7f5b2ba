#include "sys.hpp"

#include "net.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>

namespace bottle::escape::probe::support {

sys_result raw_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    errno = 0;
    sys_result r;
    r.ret = syscall(nr, a1, a2, a3, a4, a5, a6);
    r.err = r.ret < 0 ? errno : 0;
    return r;
}

bool accepted(const sys_result& r, std::initializer_list<int> processed) noexcept {
    if (r.ok()) return true;
    for (int e : processed)
        if (r.err == e) return true;
    return false;
}

std::string classify(const sys_result& r, std::initializer_list<int> processed) {
    if (r.ok()) return "ok (ret " + std::to_string(r.ret) + ")";
    return errno_name(r.err) + (accepted(r, processed) ? " (accepted: processed past the permission check)" : " (refused)");
}

std::string child_result::describe() const {
    if (!started) return "fork: " + errno_name(fork_err);
    if (timed_out) return "timed out (killed)";
    if (exited) return "exit " + std::to_string(code);
    return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

void write_all(int fd, std::string_view data) {
    std::size_t off = 0;
    while (off < data.size()) {
        const ssize_t n = write(fd, data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        off += static_cast<std::size_t>(n);
    }
}

child_result run_in_child(const std::function<void(int fd)>& fn, int timeout_ms) {
    child_result res;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        res.fork_err = errno;
        return res;
    }
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
        res.fork_err = errno;
        close(fds[0]);
        close(fds[1]);
        return res;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        close(fds[0]);
        fn(fds[1]);
        _exit(0);
    }
    res.started = true;
    close(fds[1]);
    const long long deadline = now_ms() + timeout_ms;
    for (;;) {
        const long long left = deadline - now_ms();
        if (left <= 0) {
            res.timed_out = true;
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        const int r = poll(&p, 1, static_cast<int>(left));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) continue;
        char buf[4096];
        const ssize_t n = read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (res.out.size() < 64 * 1024) res.out.append(buf, static_cast<std::size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    if (res.timed_out) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return res;
    }
    // EOF: the child is exiting; give it a moment, then insist.
    for (int i = 0; i < 200; ++i) {
        const pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (w < 0) return res;
        if (now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            res.timed_out = true;
            return res;
        }
        usleep(5000);
        if (i == 199) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
    }
    if (WIFEXITED(status)) {
        res.exited = true;
        res.code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        res.signal = WTERMSIG(status);
    }
    return res;
}

std::vector<std::string> list_dir(const std::string& path, int* err) {
    std::vector<std::string> names;
    DIR* d = opendir(path.c_str());
    if (d == nullptr) {
        if (err) *err = errno;
        return names;
    }
    if (err) *err = 0;
    while (const dirent* e = readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

std::string read_link(const std::string& path) {
    char buf[4096];
    const ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
    if (n < 0) return {};
    return std::string(buf, static_cast<std::size_t>(n));
}

std::optional<std::string> status_field(std::string_view key, const std::string& path) {
    const auto f = read_file(path);
    if (!f.ok) return std::nullopt;
    std::istringstream in(f.data);
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 && line[key.size()] == ':') {
            std::string v = line.substr(key.size() + 1);
            const auto b = v.find_first_not_of(" \t");
            return b == std::string::npos ? std::string() : v.substr(b);
        }
    }
    return std::nullopt;
}

namespace {
// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7') {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

bool has_word(std::string_view list, std::string_view word) {
    std::size_t start = 0;
    while (start <= list.size()) {
        const auto end = std::min(list.find(',', start), list.size());
        if (list.substr(start, end - start) == word) return true;
        start = end + 1;
    }
    return false;
}
}  // namespace

bool mount_entry::has_option(std::string_view opt) const { return has_word(options, opt) || has_word(super_options, opt); }

bool mount_entry::read_write() const { return has_word(options, "rw") && !has_word(super_options, "ro"); }

std::vector<mount_entry> parse_mountinfo(std::string_view text) {
    std::vector<mount_entry> out;
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::vector<std::string> f;
        std::string w;
        while (ls >> w) f.push_back(w);
        const auto sep = std::find(f.begin(), f.end(), "-");
        if (f.size() < 10 || sep == f.end() || std::distance(sep, f.end()) < 4) continue;
        mount_entry m;
        m.id = std::atoi(f[0].c_str());
        m.parent = std::atoi(f[1].c_str());
        std::sscanf(f[2].c_str(), "%u:%u", &m.major, &m.minor);
        m.root = unescape_octal(f[3]);
        m.mount_point = unescape_octal(f[4]);
        m.options = f[5];
        m.fstype = *(sep + 1);
        m.source = unescape_octal(*(sep + 2));
        m.super_options = *(sep + 3);
        out.push_back(std::move(m));
    }
    return out;
}

bool is_block_fs(std::string_view t) noexcept {
    static constexpr std::array<std::string_view, 12> kinds{"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs",
                                                            "jfs", "reiserfs", "vfat", "exfat", "ntfs3", "zfs"};
    return std::find(kinds.begin(), kinds.end(), t) != kinds.end();
}

bool in_initial_userns() {
    const auto f = read_file("/proc/self/uid_map");
    if (!f.ok) return false;
    std::istringstream in(f.data);
    unsigned long long inside = 1, outside = 1, count = 0;
    in >> inside >> outside >> count;
    return inside == 0 && outside == 0 && count == 4294967295ULL;
}

std::string cap_name(int cap) {
    static constexpr std::array<std::string_view, 41> names{
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
        "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE"};
    if (cap >= 0 && static_cast<std::size_t>(cap) < names.size()) return std::string(names[static_cast<std::size_t>(cap)]);
    return "cap_" + std::to_string(cap);
}

cap_sets get_caps() {
    cap_sets s;
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    const auto r = raw_syscall(SYS_capget, reinterpret_cast<long>(&hdr), reinterpret_cast<long>(data));
    if (!r.ok()) {
        s.err = r.err;
        return s;
    }
    s.ok = true;
    s.effective = data[0].effective | (static_cast<std::uint64_t>(data[1].effective) << 32);
    s.permitted = data[0].permitted | (static_cast<std::uint64_t>(data[1].permitted) << 32);
    s.inheritable = data[0].inheritable | (static_cast<std::uint64_t>(data[1].inheritable) << 32);
    return s;
}

std::string cap_list(std::uint64_t mask) {
    std::string out;
    for (int i = 0; i < 64; ++i) {
        if ((mask >> i) & 1U) {
            if (!out.empty()) out += ',';
            out += cap_name(i);
        }
    }
    return out.empty() ? "none" : out;
}

std::string hex(std::string_view bytes, std::size_t max) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    if (bytes.size() > max) out += "..";
    return out;
}

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

long long now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string make_temp_dir(const std::string& prefix, int* err) {
    int last = 0;
    char cwd[4096];
    const std::string here = getcwd(cwd, sizeof cwd) ? std::string(cwd) : std::string(".");
    for (const std::string& base : {std::string("/tmp"), std::string("/var/tmp"), here}) {
        std::string templ = base + "/" + prefix + "XXXXXX";
        std::vector<char> buf(templ.begin(), templ.end());
        buf.push_back('\0');
        if (mkdtemp(buf.data()) != nullptr) {
            if (err) *err = 0;
            return std::string(buf.data());
        }
        last = errno;
    }
    if (err) *err = last;
    return {};
}

std::string enter_private_mount_ns(bool with_userns) {
    const uid_t uid = getuid();
    const gid_t gid = getgid();
    const int flags = CLONE_NEWNS | (with_userns ? CLONE_NEWUSER : 0);
    if (unshare(flags) != 0) return std::string("unshare(") + (with_userns ? "NEWUSER|NEWNS" : "NEWNS") + "): " + errno_name(errno);
    if (with_userns) {
        auto put = [](const char* path, const std::string& text) {
            const int fd = open(path, O_WRONLY | O_CLOEXEC);
            if (fd < 0) return errno;
            const ssize_t n = write(fd, text.data(), text.size());
            const int e = n < 0 ? errno : 0;
            close(fd);
            return e;
        };
        put("/proc/self/setgroups", "deny");
        if (const int e = put("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n"); e != 0)
            return "write uid_map: " + errno_name(e);
        if (const int e = put("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n"); e != 0)
            return "write gid_map: " + errno_name(e);
    }
    // Without this, a mount made below could propagate to the parent namespace.
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return "make / rprivate: " + errno_name(errno) + " (no mount attempted)";
    return {};
}

void report_child_lines(const std::string& prefix, const child_result& r, report& rep) {
    if (r.out.empty()) {
        rep.attempt(prefix, "child: " + r.describe());
        return;
    }
    std::size_t start = 0;
    while (start < r.out.size()) {
        const auto end = r.out.find('\n', start);
        const std::string line = r.out.substr(start, end == std::string::npos ? std::string::npos : end - start);
        start = end == std::string::npos ? r.out.size() : end + 1;
        if (line.size() < 2) continue;
        const auto colon = line.find(": ");
        const std::string action = prefix + ": " + line.substr(2, colon == std::string::npos ? std::string::npos : colon - 2);
        const std::string outcome = colon == std::string::npos ? "done" : line.substr(colon + 2);
        rep.attempt(action, outcome, line[0] == 'R');
    }
}

}  // namespace bottle::escape::probe::support
