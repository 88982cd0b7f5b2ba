// escape-tests/lab/system.cpp — the lab's commands run through the OS layer
// (os::spawn: own process group, deadline, group SIGKILL, capped output).
#include "system.hpp"

#include "bottle/os/spawn.hpp"
#include "bottle/os/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace bottle::escape::lab {

command_result run_command(const std::vector<std::string>& argv, int timeout_ms, const std::vector<std::string>* env) {
    os::spawn_request request;
    request.argv = argv;
    if (env) request.env = *env;
    request.stderr_to = os::stderr_mode::merge;
    request.output_cap = max_command_output;
    request.timeout = std::chrono::milliseconds(std::max(timeout_ms, 1));
    command_result r;
    auto out = os::spawn(request);
    if (!out) {
        r.output = out.error().message;  // names the program and why it did not start
        return r;
    }
    r.started = true;
    r.timed_out = out->timed_out;
    r.exit_code = out->exit_code;  // -1 when a signal ended it or it timed out
    r.output = std::move(out->out);
    return r;
}

std::string quote_command(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv) {
        if (!s.empty()) s += ' ';
        if (a.find_first_of(" \t'\"$") != std::string::npos) s += "'" + a + "'";
        else s += a;
    }
    return s;
}

std::string find_program(const std::string& name, const std::vector<std::string>& extra_dirs) {
    if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
    std::vector<std::string> dirs = extra_dirs;
    const char* path = std::getenv("PATH");
    std::stringstream ss(path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for (std::string d; std::getline(ss, d, ':');) dirs.push_back(d);
    for (const auto& d : dirs) {
        const std::string candidate = d + "/" + name;
        struct stat st{};
        if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return "";
}

std::vector<int> list_pids() {
    std::vector<int> pids;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        const int pid = std::stoi(name);
        if (pid != getpid()) pids.push_back(pid);
    }
    std::sort(pids.begin(), pids.end());
    return pids;
}

std::string random_hex(std::size_t digits) {
    unsigned char bytes[16] = {};
    if (const os::unique_fd fd(open("/dev/urandom", O_RDONLY | O_CLOEXEC)); fd) (void)!read(fd.get(), bytes, sizeof bytes);
    std::string s;
    char buf[3];
    for (unsigned char b : bytes) {
        std::snprintf(buf, sizeof buf, "%02x", b);
        s += buf;
    }
    return s.substr(0, std::min<std::size_t>(digits, 32));
}

}  // namespace bottle::escape::lab
