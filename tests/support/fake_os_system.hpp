// tests/support/fake_os_system.hpp — a scripted os::system for code built on
// the OS layer's seam.
//
// Unset, it behaves like an empty machine: no program runs (spawn fails with
// not_found naming argv[0]), no file exists, no namespace can be entered,
// nothing arrives on a socket. Every request is recorded, so a test can
// check what the code asked for (argv, environment, limits) as well as what
// it did with the answer.
#pragma once

#include "bottle/os/system.hpp"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace bottle::test_support {

class fake_os_system final : public os::system {
public:
    /// argv[0] -> the outcome of spawning it.
    std::map<std::string, result<os::spawn_output>> programs;
    std::vector<os::spawn_request> spawned;
    std::map<std::string, std::string> files;
    std::map<std::string, std::string> written;
    std::vector<std::string> netns_entered;
    std::vector<std::pair<int, int>> groups_killed;  ///< (pgid, signal)

    /// Scripts a program that exits with `exit_code` and prints `out`.
    void program(const std::string& argv0, int exit_code, std::string out, std::string err = {}) {
        os::spawn_output o;
        o.pid = 4242;
        o.exit_code = exit_code;
        o.reaped = true;
        o.out = std::move(out);
        o.err = std::move(err);
        programs.insert_or_assign(argv0, o);
    }

    result<os::spawn_output> spawn(const os::spawn_request& request) override {
        spawned.push_back(request);
        const std::string argv0 = request.argv.empty() ? std::string() : request.argv.front();
        if (auto it = programs.find(argv0); it != programs.end()) return it->second;
        return make_error(errc::not_found, "cannot run " + argv0 + ": not found (fake)");
    }
    result<std::string> read_file(const std::string& path, std::size_t max_bytes) override {
        auto it = files.find(path);
        if (it == files.end()) return make_error(errc::not_found, "cannot open " + path + ": No such file or directory");
        if (it->second.size() > max_bytes)
            return make_error(errc::limit_exceeded, path + " is larger than the limit of " + std::to_string(max_bytes) + " bytes");
        return it->second;
    }
    result<void> write_file(const std::string& path, std::string_view data, mode_t) override {
        written.insert_or_assign(path, std::string(data));
        return {};
    }
    result<void> enter_netns(const std::string& path) override {
        netns_entered.push_back(path);
        return make_error(errc::not_found, "cannot open network namespace " + path + " (fake)");
    }
    result<void> send_fds(int, std::span<const int>, std::string_view) override {
        return make_error(errc::io_error, "send_fds: no peer (fake)");
    }
    result<os::received_fds> receive_fds(int, std::size_t, std::size_t) override {
        return make_error(errc::not_found, "receive_fds: the peer closed the socket (fake)");
    }
    result<void> kill_group(int pgid, int sig) override {
        groups_killed.emplace_back(pgid, sig);
        return make_error(errc::not_found, "kill_group: no process group (fake)");
    }
};

}  // namespace bottle::test_support
