// escape-tests/lab/host.hpp — the lab host: the process that stands in for
// the machine a sandbox runs on.
//
// It runs inside the lab network namespace and the lab's own pid namespace
// (whose PID 1 reaps orphans and, when the lab host ends, takes everything
// the sandbox started with it; runner/lab_session.cpp) and makes its own
// mount, IPC and UTS namespaces, then, in this order (run_lab_host is the
// spine):
//   1. mounts: /proc of the lab's pid namespace; the harness's programs bound
//      under the run directory's tools/
//      (tools.hpp), then /run, /root, /tmp, /var/tmp and /etc/resolv.conf
//      replaced by the run directory's lab copies, /home by a fresh tmpfs
//      holding only the lab user's home (the planted one), /etc/passwd and
//      /etc/group by copies naming the lab user (lab_user.hpp);
//   2. host services (sinks.hpp, role "host"), SysV objects holding tokens,
//      the canary process (canary.hpp), the open proxy when the profile asks
//      for it (open_proxy.hpp);
//   3. machine facts (`bottle-probe facts`, unconfined) and the two leaked
//      descriptors staged and recorded, both as host-status facts: the
//      runner decides applicability from these, never from inside; a
//      staging failure is a run error;
//   4. the profile's setup (as root), a heartbeat through every sink
//      (heartbeat.hpp), the sandbox command (as the lab user unless the
//      profile runs as root; stdout -> logs/probe.jsonl, fds 3 and 4
//      inherited), the moment it ends orphans recorded and killed, a
//      heartbeat again, the profile's teardown (as root);
//   5. orphans the teardown left recorded and killed; canary and services
//      stopped.
// Every fact the runner needs goes to logs/host-status.jsonl as protocol
// host_status lines.
#pragma once

#include "lab_user.hpp"
#include "run_paths.hpp"
#include "tools.hpp"

#include <optional>
#include <string>
#include <vector>

namespace bottle::escape::lab {

/// Everything the lab host needs to run one sandbox.
struct host_plan {
    run_paths paths;
    std::string nonce;
    token_map tokens;
    std::vector<std::string> setup;     ///< profile setup argv (may be empty)
    std::vector<std::string> command;   ///< the sandbox command running bottle-probe
    std::vector<std::string> teardown;  ///< profile teardown argv (may be empty)
    std::vector<std::string> env;       ///< the sandbox's environment (KEY=VALUE)
    std::vector<lab_bind> tool_binds;   ///< the harness's programs, bound under paths.tools()
    std::vector<std::string> facts_command;  ///< `bottle-probe facts`, run unconfined (empty: none)
    std::string lab_proxy;              ///< "" none, "open" (the control proxy) or "rewrite" (a liar; open_proxy.hpp)
    std::string memory_process;         ///< profile "memory_process": host processes whose memory limits are the sandbox's ("" none)
    std::optional<lab_user> run_as;     ///< the sandbox command's user; nullopt: root (profile "run_as": "root")
    int timeout_ms = 240000;            ///< the whole sandbox run
    int setup_timeout_ms = 120000;
};

/// Body of the lab-host process (already inside the lab network namespace).
/// Writes logs/host.jsonl, canary.jsonl, probe.jsonl, sandbox.stderr,
/// setup.log, teardown.log, host-status.jsonl. Returns the process exit code
/// (0 when setup and the sandbox ran to the end).
int run_lab_host(const host_plan& plan);

}  // namespace bottle::escape::lab
