// tests/egress/netns_world.hpp — two network namespaces of the test's own,
// joined by a veth pair and linked to nothing else, so nothing a test does
// can leave the machine:
//   proxy  198.51.100.1/24, 2001:db8:100::1/64 on the veth, lo up, default
//          routes over the veth. bottle-egress runs here (its own addresses
//          and 127.0.0.1 are this namespace's).
//   world  198.51.100.2/24 + 2001:db8:100::2/64, and /32 (/128) lab
//          addresses on the same veth: dns (198.51.100.53), a "public" sink
//          (203.0.113.10, 2001:db8:113::10, documentation addresses that the
//          deny floor lets pass) and an "internal" one (10.20.30.40).
// Sockets are made inside a namespace with `in_proxy`/`in_world` (a socket
// keeps the namespace it was made in, whichever thread serves it).
// The namespaces are deleted in the destructor (deleting them destroys the
// veth), and left-overs of a crashed earlier test (named after a pid that is
// gone) are deleted on the next construction. Needs root and iproute2;
// `unavailable()` says why not.
#pragma once

#include "bottle/os/netns.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace bottle::egress::testing {

class netns_world {
public:
    static constexpr const char* proxy_v4 = "198.51.100.1";
    static constexpr const char* dns_v4 = "198.51.100.53";
    static constexpr const char* public_v4 = "203.0.113.10";
    static constexpr const char* public_v6 = "2001:db8:113::10";
    static constexpr const char* internal_v4 = "10.20.30.40";

    /// Why no world can be made here (empty when one can).
    static std::string unavailable() {
        if (::geteuid() != 0) return "needs root (network namespaces and a veth pair)";
        if (run({"ip", "-V"}) != 0) return "needs iproute2 (ip)";
        return {};
    }

    netns_world() {
        remove_leftovers();
        const std::string p = proxy_name(), w = world_name();
        const std::string pv = "egp" + std::to_string(::getpid() % 100000), wv = "egw" + std::to_string(::getpid() % 100000);
        const std::vector<std::vector<std::string>> steps{
            {"ip", "netns", "add", p},
            {"ip", "netns", "add", w},
            {"ip", "link", "add", pv, "netns", p, "type", "veth", "peer", "name", wv, "netns", w},
            {"ip", "-n", p, "link", "set", "lo", "up"},
            {"ip", "-n", w, "link", "set", "lo", "up"},
            {"ip", "-n", p, "addr", "add", "198.51.100.1/24", "dev", pv},
            {"ip", "-n", p, "-6", "addr", "add", "2001:db8:100::1/64", "dev", pv, "nodad"},
            {"ip", "-n", w, "addr", "add", "198.51.100.2/24", "dev", wv},
            {"ip", "-n", w, "-6", "addr", "add", "2001:db8:100::2/64", "dev", wv, "nodad"},
            {"ip", "-n", w, "addr", "add", std::string(dns_v4) + "/32", "dev", wv},
            {"ip", "-n", w, "addr", "add", std::string(public_v4) + "/32", "dev", wv},
            {"ip", "-n", w, "addr", "add", std::string(internal_v4) + "/32", "dev", wv},
            {"ip", "-n", w, "-6", "addr", "add", std::string(public_v6) + "/128", "dev", wv, "nodad"},
            {"ip", "-n", p, "link", "set", pv, "up"},
            {"ip", "-n", w, "link", "set", wv, "up"},
            {"ip", "-n", p, "route", "add", "default", "dev", pv},
            {"ip", "-n", p, "-6", "route", "add", "default", "dev", pv},
        };
        for (const auto& s : steps) {
            if (run(s) != 0) {
                destroy();
                std::string cmd;
                for (const auto& a : s) cmd += a + " ";
                throw std::runtime_error("netns world: failed: " + cmd);
            }
        }
    }
    ~netns_world() { destroy(); }
    netns_world(const netns_world&) = delete;
    netns_world& operator=(const netns_world&) = delete;

    [[nodiscard]] std::string proxy_path() const { return "/run/netns/" + proxy_name(); }
    [[nodiscard]] std::string world_path() const { return "/run/netns/" + world_name(); }

    /// Runs `f` with the calling thread in the proxy (world) namespace.
    template <class F>
    auto in_proxy(F&& f) const { return in(proxy_path(), std::forward<F>(f)); }
    template <class F>
    auto in_world(F&& f) const { return in(world_path(), std::forward<F>(f)); }

private:
    static constexpr const char* prefix = "bottle-egress-t";

    template <class F>
    static auto in(const std::string& path, F&& f) {
        auto scope = os::scoped_netns::enter(path);
        if (!scope) throw std::runtime_error("cannot enter " + path + ": " + scope.error().message);
        return f();
    }

    std::string proxy_name() const { return prefix + std::to_string(pid_) + "-proxy"; }
    std::string world_name() const { return prefix + std::to_string(pid_) + "-world"; }

    void destroy() const {
        run({"ip", "netns", "del", proxy_name()});
        run({"ip", "netns", "del", world_name()});
    }

    /// Namespaces of earlier test processes that died before cleaning up.
    static void remove_leftovers() {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator("/run/netns", ec)) {
            const std::string name = e.path().filename().string();
            if (name.rfind(prefix, 0) != 0) continue;
            const auto dash = name.find('-', std::string_view(prefix).size());
            const pid_t owner = static_cast<pid_t>(std::atol(name.substr(std::string_view(prefix).size(), dash).c_str()));
            if (owner > 0 && ::kill(owner, 0) != 0 && errno == ESRCH) run({"ip", "netns", "del", name});
        }
    }

    /// Runs a command (no shell), its output discarded; the exit status.
    static int run(const std::vector<std::string>& argv) {
        std::vector<char*> a;
        for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
        a.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        pid_t pid = -1;
        const int rc = ::posix_spawnp(&pid, a[0], &fa, nullptr, a.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) return -1;
        int status = 0;
        ::waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    pid_t pid_ = ::getpid();
};

}  // namespace bottle::egress::testing
