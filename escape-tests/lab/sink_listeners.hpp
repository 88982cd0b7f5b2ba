// escape-tests/lab/sink_listeners.hpp — where the lab's sinks listen: the
// sockets of each role (sinks.hpp), bound before a sink says it is ready.
//   world — TCP on every world port and UDP on 53/123/443 at any address
//           (AnyIP), address-specific DNS sockets, a packet capture on the link.
//   host  — the loopback canaries, the sibling, the canary sshd, the fake
//           engine/agent/bus unix sockets under the run root, an abstract
//           unix socket.
// Optional listeners exist only where the kernel has the protocol: SCTP on
// the world's port 80 (world.sctp) and vsock on the local CID, port 7001
// (host.vsock). The sink announces each one it bound with a "listen" record,
// which the runner turns into a lab-host fact (listening:<sink>=yes); a
// probe channel aimed at one that is not there is N/A, never BLOCKED.
#pragma once

#include "sinks.hpp"

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bottle::escape::lab::detail {

enum class kind { tcp, udp, unix_stream, capture };

struct listener {
    int fd = -1;
    kind type = kind::tcp;
    std::string name;      // sink name in the log: "world.tcp", "host.canary", ...
    std::string local;     // "203.0.113.53:53", "/run/docker.sock", "*:80"
    std::uint16_t port = 0;
    bool optional = false;  // bound only where the kernel offers it (SCTP, vsock); announced in the log
};


/// "203.0.113.10:80", "[2001:db8::1]:53" (IPv4-mapped shown as IPv4), "unix".
[[nodiscard]] std::string sockaddr_text(const sockaddr_storage& ss);
/// The local address of a connected socket, as sockaddr_text.
[[nodiscard]] std::string local_text(int fd);

/// Binds every listener of `o.role`; false with `why` naming the one that failed.
[[nodiscard]] bool setup_listeners(const sink_options& o, std::vector<listener>& ls, std::string& why);

}  // namespace bottle::escape::lab::detail
