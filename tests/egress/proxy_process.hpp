// tests/egress/proxy_process.hpp — the real bottle-egress as a child
// process: started with arguments (and optionally an inherited listening
// socket as --listen-fd 3, or a descriptor as its standard input), its
// ready line read, stopped with SIGTERM.
#pragma once

#include "egress_harness.hpp"

#include <boost/json/parse.hpp>

#include <sched.h>

#include <optional>

namespace bottle::egress::testing {

struct exit_result {
    int code = -1;
    std::string out, err;
};

class proxy_process {
public:
    /// Starts the proxy; `inherit_fd` >= 0 becomes descriptor 3 in the child;
    /// `netns_fd` >= 0 is a network namespace the child enters before exec;
    /// `stdin_fd` >= 0 becomes the child's standard input.
    explicit proxy_process(std::vector<std::string> args, int inherit_fd = -1, int netns_fd = -1, int stdin_fd = -1) {
        int out[2], err[2];
        if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
        args.insert(args.begin(), binary_path());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(out[1], 1);
            ::dup2(err[1], 2);
            if (inherit_fd >= 0) ::dup2(inherit_fd, 3);
            if (stdin_fd >= 0) ::dup2(stdin_fd, 0);
            if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) != 0) ::_exit(126);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(out[1]);
        ::close(err[1]);
        out_ = out[0];
        err_ = err[0];
    }
    ~proxy_process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        ::close(out_);
        ::close(err_);
    }
    proxy_process(const proxy_process&) = delete;
    proxy_process& operator=(const proxy_process&) = delete;

    /// Reads the ready line; returns the first listening TCP port, or nullopt
    /// when the proxy exited or printed something else.
    std::optional<std::uint16_t> ready(int timeout_ms = 5000) {
        const auto l = listening(timeout_ms);
        if (!l) return std::nullopt;
        for (const auto& ep : *l) {
            if (ep.rfind("unix:", 0) != 0) return static_cast<std::uint16_t>(std::stoi(ep.substr(ep.rfind(':') + 1)));
        }
        return std::nullopt;
    }
    /// Reads the ready line; returns its "listening" entries ("ADDR:PORT",
    /// "unix:PATH"), or nullopt when the proxy exited or printed something else.
    std::optional<std::vector<std::string>> listening(int timeout_ms = 5000) {
        std::string line;
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < until) {
            pollfd p{out_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char c;
            if (::read(out_, &c, 1) != 1) break;
            line += c;
        }
        ready_line_ = line;
        boost::system::error_code ec;
        const auto v = boost::json::parse(line, ec);
        if (ec || !v.is_object() || !v.as_object().contains("listening")) return std::nullopt;
        std::vector<std::string> out;
        for (const auto& e : v.at("listening").as_array()) out.emplace_back(e.as_string());
        if (out.empty()) return std::nullopt;
        return out;
    }
    [[nodiscard]] const std::string& ready_line() const { return ready_line_; }
    [[nodiscard]] pid_t pid() const { return pid_; }

    /// Sends `sig` and waits (up to 5 s) for the exit.
    exit_result stop(int sig = SIGTERM) {
        ::kill(pid_, sig);
        return wait();
    }
    exit_result wait(int timeout_ms = 5000) {
        exit_result r;
        int status = 0;
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > until) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                r.code = -2;  // did not exit in time
                pid_ = -1;
                return r;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        pid_ = -1;
        r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        r.out = drain(out_);
        r.err = drain(err_);
        return r;
    }

private:
    static std::string drain(int fd) {
        std::string s;
        char buf[4096];
        for (;;) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 0) <= 0) break;
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n <= 0) break;
            s.append(buf, static_cast<std::size_t>(n));
        }
        return s;
    }
    pid_t pid_ = -1;
    int out_ = -1, err_ = -1;
    std::string ready_line_;
};

/// Runs the binary to completion (usage tests).
inline exit_result run_to_exit(std::vector<std::string> args) {
    proxy_process p(std::move(args));
    return p.wait();
}

/// The log's JSON lines (decisions and events), each parsed; a line that
/// is not valid JSON fails the caller's assertion through `valid`.
struct log_lines {
    std::vector<boost::json::object> decisions;  ///< lines with a "decision"
    bool valid = true;
    std::string raw;
};

inline log_lines read_log(const std::filesystem::path& path) {
    log_lines out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        out.raw += line + "\n";
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        if (ec || !v.is_object()) {
            out.valid = false;
            continue;
        }
        if (v.as_object().contains("decision")) out.decisions.push_back(v.as_object());
    }
    return out;
}

/// Waits until the log holds at least `n` decisions (they are written when
/// a request or tunnel ends).
inline log_lines wait_for_decisions(const std::filesystem::path& path, std::size_t n, int timeout_ms = 5000) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        auto l = read_log(path);
        if (l.decisions.size() >= n || std::chrono::steady_clock::now() > until) return l;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

inline std::string str(const boost::json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace bottle::egress::testing
