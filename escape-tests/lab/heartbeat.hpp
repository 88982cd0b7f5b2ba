// escape-tests/lab/heartbeat.hpp — proof that every sink was listening.
//
// A sink that died (or never logged) would turn a real escape into BLOCKED.
// So the lab host sends a tagged heartbeat through every sink, canary and
// socket before the sandbox starts ("pre") and after it ends ("post"): a
// TCP connection to each world port and each host listener, a datagram to
// each UDP sink, a connection to each unix socket, a queued signal to the
// canary; the link capture sees the TCP ones. The runner then checks that
// each expected record is in the logs; a missing one makes the run an ERROR.
// The tag "bbx-<nonce>-heartbeat-<phase>" names no probe, and the canary's
// heartbeat value differs from the probes', so no heartbeat is evidence.
#pragma once

#include "../protocol/lines.hpp"

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace bottle::escape::lab {

/// A record a heartbeat must leave: the sink's name and its "local" field
/// ("" = any local).
struct heartbeat_record {
    std::string sink;
    std::string local;
};

/// Every record one heartbeat phase must leave (pure).
[[nodiscard]] std::vector<heartbeat_record> heartbeat_expectations();

[[nodiscard]] std::string heartbeat_tag(std::string_view nonce, std::string_view phase);
/// The canary's heartbeat value for `phase`: never the probes'
/// (canary_signal_value), different per phase.
[[nodiscard]] int heartbeat_signal_value(std::string_view nonce, std::string_view phase);

/// Sends one phase's heartbeats from the lab host (inside the lab's network
/// and mount namespaces). Best effort: what does not arrive is found missing.
void send_heartbeats(std::string_view nonce, std::string_view phase, pid_t canary);

/// The expectations of `phase` with no matching record in `events`, as text
/// ("world.tcp 203.0.113.10:443"), empty when every sink answered.
[[nodiscard]] std::vector<std::string> missing_heartbeats(const std::vector<protocol::lab_event>& events,
                                                          std::string_view nonce, std::string_view phase);

}  // namespace bottle::escape::lab
