// escape-tests/lab/lab_plan.hpp — the sealed lab's fixed address and path plan.
//
// Shared by the probes (inside the sandbox) and the lab (outside). Every
// address here exists only inside the lab's own network namespaces, which have
// no link to the real network: a packet to any of them can reach a lab sink
// and nothing else. Probes must aim only at these addresses (or at addresses
// they discover inside the sandbox that pass `is_lab_target`).
#pragma once

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace bottle::escape::lab {

// ---- "world": the namespace the lab's default routes lead to --------------
// Every address in the sink ranges below is local in the world namespace
// (AnyIP routes), so a sink answers on any of them.
inline constexpr std::string_view internet_v4 = "203.0.113.10";    // "internet" sink (TEST-NET-3)
inline constexpr std::string_view internet_v6 = "2001:db8:113::10"; // "internet" sink (documentation)
inline constexpr std::string_view dns_v4 = "203.0.113.53";          // DNS sink: logs every query
inline constexpr std::string_view dns_v6 = "2001:db8:113::53";
inline constexpr std::string_view lan_v4 = "192.168.77.10";         // a "LAN" host (private range)
inline constexpr std::string_view metadata_v4 = "169.254.169.254";  // cloud metadata endpoint
inline constexpr std::string_view metadata_v6 = "fd00:ec2::254";
inline constexpr std::string_view allowed_v4 = "203.0.113.80";      // the allowed upstream (positive control)

// TCP ports every world sink address listens on; UDP ports likewise.
inline constexpr std::array<std::uint16_t, 10> world_tcp_ports{21, 22, 25, 53, 80, 443, 1080, 8080, 8443, 9418};
inline constexpr std::array<std::uint16_t, 3> world_udp_ports{53, 123, 443};

// ---- names served by the lab DNS sink (zone lab.test) ----------------------
inline constexpr std::string_view zone = "lab.test";
inline constexpr std::string_view allowed_name = "allowed.lab.test";  // -> allowed_v4; on sandboxes' allowlists
inline constexpr std::string_view denied_name = "denied.lab.test";    // -> internet_v4; never allowed
inline constexpr std::string_view rebind_name = "rebind.lab.test";    // -> 127.0.0.1 (internal address)
inline constexpr std::string_view metadata_name = "metadata.lab.test"; // -> 169.254.169.254
inline constexpr std::string_view exfil_zone = "exfil.lab.test";      // *.exfil.lab.test -> internet_v4

// ---- the lab "host": the lab namespace itself ------------------------------
// Canary services that only a sandbox with host network access can reach.
inline constexpr std::string_view host_v4_primary = "127.0.0.1";
inline constexpr std::string_view host_v4_secondary = "127.0.0.2";
inline constexpr std::uint16_t host_canary_port = 7001;      // on 127.0.0.1 and 127.0.0.2
inline constexpr std::uint16_t host_any_port = 7002;         // on every lab address (gateway, bridges)
inline constexpr std::string_view sibling_v4 = "127.0.0.17"; // a sibling bottle's loopback alias
inline constexpr std::uint16_t sibling_port = 7003;
// Under the docker profile, a sibling container on the lab dockerd's bridge
// (docker-lab.sh starts it first, so it gets the first address of the
// daemon's --fixed-cidr 10.200.1.16/28) listening on sibling_port.
inline constexpr std::string_view sibling_bridge_v4 = "10.200.1.16";
inline constexpr std::uint16_t host_ssh_port = 22;           // on 127.0.0.1: a canary "sshd"
// The link between the lab and the world: lab side .2, world (gateway) side .1.
inline constexpr std::string_view link_lab_v4 = "10.200.0.2";
inline constexpr std::string_view link_world_v4 = "10.200.0.1";
inline constexpr std::string_view link_lab_v6 = "fd00:200::2";
inline constexpr std::string_view link_world_v6 = "fd00:200::1";

// ---- paths as seen from inside the lab (and so from an unconfined sandbox) --
// The run's directory is bind-mounted on /run in the lab's mount namespace;
// the fake HOME (planted credentials) on /root; fresh lab directories on /tmp
// and /var/tmp; a lab resolv.conf (nameserver dns_v4) on /etc/resolv.conf.
inline constexpr std::string_view run_dir = "/run/bbx";                  // lab state visible inside
inline constexpr std::string_view home_dir = "/root";                    // fake HOME, HOME=/root
inline constexpr std::string_view engine_socket = "/run/docker.sock";    // fake container engine (HTTP)
// A well-known path probes try; the lab serves nothing there (a dockerd in
// the lab would take a socket there for a system containerd).
inline constexpr std::string_view containerd_socket = "/run/containerd/containerd.sock";
inline constexpr std::string_view ssh_agent_socket = "/run/bbx/ssh-agent.sock";   // SSH_AUTH_SOCK
inline constexpr std::string_view dbus_session_socket = "/run/bbx/dbus-session.sock"; // DBUS_SESSION_BUS_ADDRESS
inline constexpr std::string_view dbus_system_socket = "/run/dbus/system_bus_socket";
inline constexpr std::string_view abstract_socket = "bbx-canary-abstract";  // abstract namespace (leading NUL)
inline constexpr std::string_view outside_dir = "/run/bbx/outside";          // a host directory outside any workspace
inline constexpr std::string_view canary_pid_file = "/run/bbx/canary.pid";   // host canary process
// The canary's /proc/PID/comm carries the run: "bbxc-" + the nonce's first
// 8 digits (13 characters, under the 15 comm keeps). A probe of another run
// never takes it for its own.
[[nodiscard]] inline std::string canary_comm(std::string_view nonce) { return "bbxc-" + std::string(nonce.substr(0, 8)); }
// The value a probe sends with its signal (sigqueue), from the run's nonce:
// a signal without it (a stray kill, a Ctrl-C, another run) is not evidence.
[[nodiscard]] inline int canary_signal_value(std::string_view nonce) {
    unsigned v = 0;
    for (char c : nonce.substr(0, 7)) v = v * 16 + static_cast<unsigned>(c >= 'a' ? c - 'a' + 10 : c - '0');
    return static_cast<int>(v & 0x7fffffff);
}
// The window size of the pty the lab starts the sandbox from (lab_tty.hpp):
// ipc.tty_inject types only into a controlling terminal that has it.
struct tty_window_size {
    unsigned short rows, cols, xpixel, ypixel;
};
[[nodiscard]] inline tty_window_size tty_window(std::string_view nonce) {
    return {77, 177, static_cast<unsigned short>(canary_signal_value(nonce) & 0xffff), 0xbb7e};
}
inline constexpr std::int32_t sysv_shm_key = 0x0bb7e5c0;                      // host SysV shm with a token
inline constexpr std::int32_t sysv_msg_key = 0x0bb7e5c1;                      // host SysV queue with a token
// Environment variables the launcher sets (values are canary tokens).
inline constexpr std::array<std::string_view, 3> canary_env{"BBX_CANARY_TOKEN", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN"};

// ---- safety: what a probe may aim at ----------------------------------------
// True when `ip` (IPv4 dotted quad or IPv6 text, as produced by inet_ntop) lies
// in a range that exists only inside the lab: the sink ranges, the lab link,
// loopback, the lab dockerd's bridge, link-local.
[[nodiscard]] inline bool is_lab_target(std::string_view ip) noexcept {
    const std::string text(ip);
    unsigned char b[16];
    if (inet_pton(AF_INET, text.c_str(), b) == 1) {
        auto in = [&](unsigned a0, unsigned a1, unsigned a2, int prefix_octets) {
            const unsigned want[3] = {a0, a1, a2};
            for (int i = 0; i < prefix_octets; ++i)
                if (b[i] != want[i]) return false;
            return true;
        };
        return b[0] == 127                                   // loopback (the lab host)
               || in(203, 0, 113, 3) || in(198, 51, 100, 3)  // documentation "internet"
               || in(192, 168, 77, 3)                        // the lab "LAN"
               || in(169, 254, 0, 2)                         // link-local / metadata
               || in(10, 200, 0, 3)                          // the lab link
               || in(10, 200, 1, 3)                          // the lab dockerd's bridge (docker-lab.sh --bip)
               || (b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0);
    }
    if (inet_pton(AF_INET6, text.c_str(), b) == 1) {
        static const unsigned char loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        if (std::memcmp(b, loopback, 16) == 0) return true;
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return true;   // 2001:db8::/32
        if (b[0] == 0xfd && b[1] == 0x00 && b[2] == 0x0e && b[3] == 0xc2) return true;   // fd00:ec2::/32
        if (b[0] == 0xfd && b[1] == 0x00 && b[2] == 0x02 && b[3] == 0x00) return true;   // fd00:200::/32
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;                         // fe80::/10
        // IPv4-mapped: judged by the embedded IPv4 address.
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(b, mapped, 12) == 0) {
            char v4[INET_ADDRSTRLEN];
            if (inet_ntop(AF_INET, b + 12, v4, sizeof v4) == nullptr) return false;
            return is_lab_target(v4);
        }
    }
    return false;
}

}  // namespace bottle::escape::lab
