#include "system.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace bottle::escape::lab {

command_result run_command(const std::vector<std::string>& argv, int timeout_ms, const std::vector<std::string>* env) {
    command_result r;
    if (argv.empty()) return r;
    int out[2];
    int status_pipe[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(status_pipe, O_CLOEXEC) != 0) return r;
    const pid_t pid = fork();
    if (pid < 0) return r;
    if (pid == 0) {
        setpgid(0, 0);
        const int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        if (env) {
            std::vector<char*> envp;
            for (const auto& e : *env) envp.push_back(const_cast<char*>(e.c_str()));
            envp.push_back(nullptr);
            execvpe(args[0], args.data(), envp.data());
        } else {
            execvp(args[0], args.data());
        }
        const int err = errno;
        (void)!write(status_pipe[1], &err, sizeof err);
        _exit(127);
    }
    setpgid(pid, pid);
    close(out[1]);
    close(status_pipe[1]);
    int exec_errno = 0;
    r.started = read(status_pipe[0], &exec_errno, sizeof exec_errno) != sizeof exec_errno;
    close(status_pipe[0]);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
            r.timed_out = true;
            break;
        }
        pollfd p{out[0], POLLIN, 0};
        const int pr = poll(&p, 1, static_cast<int>(left));
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) continue;
        char buf[4096];
        const ssize_t n = read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        if (r.output.size() < 64 * 1024) r.output.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]);
    if (r.timed_out) kill(-pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!r.started) r.output = std::string("cannot run ") + argv[0] + ": " + std::strerror(exec_errno);
    if (!r.timed_out && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
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
    const int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)!read(fd, bytes, sizeof bytes);
        close(fd);
    }
    std::string s;
    char buf[3];
    for (unsigned char b : bytes) {
        std::snprintf(buf, sizeof buf, "%02x", b);
        s += buf;
    }
    return s.substr(0, std::min<std::size_t>(digits, 32));
}

}  // namespace bottle::escape::lab
