// escape-tests/lab/sinks.hpp — canary sinks: listeners that record what
// arrived, for the verdict.
//
// A sink never decides anything: it appends one event line per event to its
// log (protocol/lines.hpp: {"t","sink","proto","local","peer","data"}) and
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

#include "bottle/result.hpp"

#include <sys/types.h>

#include <functional>
#include <string>

namespace bottle::escape::lab {

struct sink_options {
    std::string role;            ///< "world" or "host"
    int log_fd = -1;             ///< where event lines go (append; protocol/lines.hpp)
    std::string capture_ifname;  ///< world: the link interface to capture on
    std::string run_root;        ///< host: the directory mounted as /run inside the lab
    int ready_fd = -1;           ///< written one byte once every listener is bound
    int stop_fd = -1;            ///< readable = stop
};

/// Binds every listener of the role and serves until stopped. Returns 0, or 1
/// after printing which listener could not be set up.
int serve(const sink_options& options);

/// A running sink process. stop() (also run by the destructor) asks it to
/// stop, waits for it, and kills it if it does not exit in time: a handle
/// never leaves a process behind.
class sink_process {
public:
    sink_process() = default;
    sink_process(pid_t pid, int stop_write) : pid_(pid), stop_write_(stop_write) {}
    sink_process(sink_process&& other) noexcept;
    sink_process& operator=(sink_process&& other) noexcept;
    sink_process(const sink_process&) = delete;
    sink_process& operator=(const sink_process&) = delete;
    ~sink_process() { stop(); }

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    [[nodiscard]] bool running() const noexcept { return pid_ > 0; }
    /// Stops and reaps the process (SIGKILL after `grace_ms`). Idempotent.
    void stop(int grace_ms = 2000) noexcept;

private:
    pid_t pid_ = -1;
    int stop_write_ = -1;
};

/// Forks a process that runs `prepare()` (e.g. entering a namespace; false =
/// exit 1) and then serve(options), and waits up to 5 s until every listener
/// is bound. Fails (with the child stopped and reaped) when it cannot fork or
/// the listeners are not ready in time. options.ready_fd and stop_fd are
/// filled in here.
[[nodiscard]] result<sink_process> start_sink_process(sink_options options, const std::function<bool()>& prepare);

}  // namespace bottle::escape::lab
