// tests/run/bottle_run_process.hpp — runs the built bottle-run binary for the
// tests in this directory, with exactly the environment given.
#pragma once

#include "bottle/os/spawn.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace bottle::test_support {

inline const std::string bottle_run_binary = BOTTLE_BINARY_DIR "/tools/bottle-run/bottle-run";
/// What the launch tests run inside bottles: one syscall attempt per argument.
inline const std::string bottle_run_probe_binary = BOTTLE_BINARY_DIR "/tools/bottle-run/bottle-run-probe";

/// Whether this host lets us create a user namespace (real launches need one).
inline bool userns_works() {
    os::spawn_request r;
    r.argv = {"unshare", "-U", "true"};
    auto out = os::spawn(r);
    return out && out->succeeded();
}

struct bottle_run_result {
    int code = -1;  ///< exit code, 128+N for signal N, -2 when it could not start
    std::string out, err;
};

inline bottle_run_result run_bottle_run(const std::vector<std::string>& args, std::vector<std::string> env) {
    os::spawn_request r;
    r.argv = {bottle_run_binary};
    r.argv.insert(r.argv.end(), args.begin(), args.end());
    r.env = std::move(env);
    r.timeout = std::chrono::seconds(30);
    auto out = os::spawn(r);
    if (!out) return {-2, "", out.error().message};
    return {out->exit_code >= 0 ? out->exit_code : 128 + out->term_signal, out->out, out->err};
}

/// True when `line` is a whole line of `out`.
inline bool has_line(const std::string& out, const std::string& line) {
    return ("\n" + out).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace bottle::test_support
