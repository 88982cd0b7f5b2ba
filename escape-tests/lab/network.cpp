#include "network.hpp"

#include "lab_plan.hpp"
#include "system.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

namespace bottle::escape::lab {

result<void> network_lab::create() {
    std::string error;
    auto ip = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "ip");
        const auto r = run_command(args, 10000);
        if (!r.ok()) error = "lab network: " + quote_command(args) + " failed: " + r.output;
        return r.ok();
    };
    auto fail = [&](errc code) {
        destroy();
        return make_error(code, error);
    };
    if (!ip({"netns", "add", lab_ns()})) return fail(errc::io_error);
    made_lab_ = true;
    if (!ip({"netns", "add", world_ns()})) return fail(errc::io_error);
    made_world_ = true;
    const std::string L = lab_ns(), W = world_ns(), li = lab_if(), wi = world_if();
    // The veth pair is created directly between the two new namespaces: no
    // end ever exists in the host namespace.
    const std::vector<std::vector<std::string>> steps = {
        {"-n", L, "link", "add", li, "type", "veth", "peer", "name", wi, "netns", W},
        {"-n", L, "link", "set", "lo", "up"},
        {"-n", W, "link", "set", "lo", "up"},
        {"-n", L, "addr", "add", std::string(link_lab_v4) + "/24", "dev", li},
        {"-n", L, "-6", "addr", "add", std::string(link_lab_v6) + "/64", "dev", li, "nodad"},
        {"-n", L, "link", "set", li, "up"},
        {"-n", W, "addr", "add", std::string(link_world_v4) + "/24", "dev", wi},
        {"-n", W, "-6", "addr", "add", std::string(link_world_v6) + "/64", "dev", wi, "nodad"},
        {"-n", W, "link", "set", wi, "up"},
        {"-n", L, "route", "add", "default", "via", std::string(link_world_v4)},
        {"-n", L, "-6", "route", "add", "default", "via", std::string(link_world_v6)},
        {"-n", W, "route", "add", "local", "203.0.113.0/24", "dev", "lo"},
        {"-n", W, "route", "add", "local", "198.51.100.0/24", "dev", "lo"},
        {"-n", W, "route", "add", "local", "192.168.77.0/24", "dev", "lo"},
        {"-n", W, "route", "add", "local", "169.254.0.0/16", "dev", "lo"},
        {"-n", W, "-6", "route", "add", "local", "2001:db8::/32", "dev", "lo"},
        {"-n", W, "-6", "route", "add", "local", "fd00:ec2::/32", "dev", "lo"},
    };
    for (const auto& s : steps)
        if (!ip(s)) return fail(errc::io_error);
    // Each end knows the other's link address for good: the first IPv6
    // neighbour discovery on a fresh link took about a second, and the first
    // IPv6 packets of a run were lost (a v6 escape early in a short run would
    // have been missed; the sinks' heartbeat found it).
    auto mac_of = [&](const std::string& ns, const std::string& ifname) {
        const auto r = run_command({"ip", "-n", ns, "-o", "link", "show", "dev", ifname}, 5000);
        const auto at = r.output.find("link/ether ");
        return r.ok() && at != std::string::npos ? r.output.substr(at + 11, 17) : std::string();
    };
    const std::string lab_mac = mac_of(L, li), world_mac = mac_of(W, wi);
    if (lab_mac.size() != 17 || world_mac.size() != 17) {
        error = "lab network: cannot read the link's MAC addresses";
        return fail(errc::io_error);
    }
    const std::vector<std::vector<std::string>> neighbours = {
        {"-n", L, "-6", "neigh", "replace", std::string(link_world_v6), "lladdr", world_mac, "dev", li, "nud", "permanent"},
        {"-n", W, "-6", "neigh", "replace", std::string(link_lab_v6), "lladdr", lab_mac, "dev", wi, "nud", "permanent"},
        {"-n", L, "neigh", "replace", std::string(link_world_v4), "lladdr", world_mac, "dev", li, "nud", "permanent"},
        {"-n", W, "neigh", "replace", std::string(link_lab_v4), "lladdr", lab_mac, "dev", wi, "nud", "permanent"},
    };
    for (const auto& n : neighbours)
        if (!ip(n)) return fail(errc::io_error);
    // Seal check: the lab must hold exactly lo and its end of the link.
    const auto links = run_command({"ip", "-n", L, "-o", "link", "show"}, 5000);
    std::size_t count = 0;
    for (char c : links.output) count += c == '\n';
    if (!links.ok() || count != 2 || links.output.find(li + "@") == std::string::npos) {
        error = "lab namespace is not sealed as expected:\n" + links.output;
        return fail(errc::internal);
    }
    // kube-proxy-style host setting that host.route_localnet looks for.
    const auto sysctl = run_command({"ip", "netns", "exec", L, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1"}, 5000);
    if (!sysctl.ok()) {
        error = "cannot set route_localnet in the lab: " + sysctl.output;
        return fail(errc::io_error);
    }
    return {};
}

void network_lab::destroy() {
    if (made_lab_) {
        kill_namespace_processes(lab_ns());
        (void)run_command({"ip", "netns", "del", lab_ns()}, 10000);
    }
    if (made_world_) {
        kill_namespace_processes(world_ns());
        (void)run_command({"ip", "netns", "del", world_ns()}, 10000);
    }
    made_lab_ = made_world_ = false;
}

bool enter_netns(const std::string& name) {
    const int fd = open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = setns(fd, CLONE_NEWNET) == 0;
    close(fd);
    return ok;
}


namespace {

ino_t netns_inode(const std::string& name) {
    struct stat st{};
    return stat(("/run/netns/" + name).c_str(), &st) == 0 ? st.st_ino : 0;
}

}  // namespace

bool netns_exists(const std::string& name) { return netns_inode(name) != 0; }

void kill_namespace_processes(const std::string& name) {
    const ino_t ino = netns_inode(name);
    if (ino == 0) return;
    for (int round = 0; round < 20; ++round) {
        bool any = false;
        for (const int pid : list_pids()) {
            struct stat st{};
            if (stat(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), &st) == 0 && st.st_ino == ino) {
                kill(pid, SIGKILL);
                any = true;
            }
        }
        if (!any) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace bottle::escape::lab
