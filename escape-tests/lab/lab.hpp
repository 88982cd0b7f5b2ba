// escape-tests/lab/lab.hpp — the sealed lab, as a whole.
//
// Built top to bottom in this order (and torn down in reverse, also on
// failure and on SIGINT/SIGTERM; runner/lab_session.hpp owns the order):
//   1. run directory  /var/lib/bottle-escape/run-<nonce>/ {run,home,tmp,vartmp,
//      workspace,logs,state,tools}; canary tokens planted in home/ and the
//      env (plant.hpp, run_paths.hpp); mount points for the harness's own
//      programs (tools.hpp).
//   2. network: namespaces bbx-<id>-lab and bbx-<id>-world joined by one veth
//      pair and nothing else (network.hpp).
//   3. world sinks, a process in the world namespace (sinks.hpp).
//   4. the lab host, a process in the lab network namespace and in its own
//      mount, IPC and UTS namespaces, which runs the sandbox (host.hpp, with
//      the canary process of canary.hpp).
// The fixed addresses and lab paths every part agrees on: lab_plan.hpp. The
// lines the parts write for the runner: protocol/lines.hpp.
#pragma once

#include "canary.hpp"
#include "host.hpp"
#include "network.hpp"
#include "plant.hpp"
#include "run_paths.hpp"
#include "sinks.hpp"
#include "tools.hpp"
