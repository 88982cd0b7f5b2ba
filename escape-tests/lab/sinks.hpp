// escape-tests/lab/sinks.hpp — canary sinks: listeners that record what
// arrived, for the verdict.
//
// A sink never decides anything: it appends one JSON line per event to its
// log ({"sink","proto","local","peer","data"}, bytes escaped as \u00XX) and
// answers just enough for a client to send its payload (HTTP 200, an SSH or
// FTP banner, a DNS answer, a SOCKS5 method choice). Two roles:
//   world — run inside the world namespace: TCP and UDP on every sink address
//           (AnyIP), the DNS sink, and a packet capture on the link that
//           records any frame containing "bbx-".
//   host  — run inside the lab namespace: loopback canaries, the sibling's
//           listener, the fake engine socket, agent/bus sockets, an abstract
//           unix socket.
// serve() returns when `stop_fd` becomes readable (or on a fatal setup error,
// which it reports on stderr with what failed).
#pragma once

#include <functional>
#include <string>

namespace bottle::escape::lab {

struct sink_options {
    std::string role;            ///< "world" or "host"
    int log_fd = -1;             ///< where JSON lines go (append)
    std::string capture_ifname;  ///< world: the link interface to capture on
    std::string run_root;        ///< host: the directory mounted as /run inside the lab
    int ready_fd = -1;           ///< written one byte once every listener is bound
    int stop_fd = -1;            ///< readable = stop
};

/// Binds every listener of the role and serves until stopped. Returns 0, or 1
/// after printing which listener could not be set up.
int serve(const sink_options& options);

/// Forks a process that runs `prepare()` (e.g. entering a namespace; false =
/// exit 1) and then serve(options), and waits up to 5 s until every listener
/// is bound. Returns its pid and sets `stop_write` (write a byte to stop it),
/// or -1 with `error` set. options.ready_fd and stop_fd are filled in here.
int start_sink_process(sink_options options, const std::function<bool()>& prepare, int& stop_write, std::string& error);

}  // namespace bottle::escape::lab
