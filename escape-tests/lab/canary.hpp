// escape-tests/lab/canary.hpp — the lab host's canary process: a process
// named lab::canary_comm(nonce) holding a canary token in its memory, whose
// pid and token address are published under /run/bbx for ipc.ptrace_host,
// and which logs every signal it receives (an event line on `log_fd`, with
// the sender, si_code and the queued value) until its parent sends SIGTERM.
#pragma once

#include <string>

namespace bottle::escape::lab {

/// Body of the canary process (forked by the lab host). Returns its exit code.
int run_canary(const std::string& token, const std::string& nonce, const std::string& run_bbx_dir, int log_fd);

}  // namespace bottle::escape::lab
