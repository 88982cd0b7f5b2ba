// fs.open_by_handle — the "shocker" primitive: open_by_handle_at resolves a
// file handle on a filesystem whatever the caller's root or mount view (it
// needs CAP_DAC_READ_SEARCH). The lab plants a token file in no directory it
// shows and hands the probe that file's handle, as an attacker would forge
// it; the probe opens it relative to its own working directory (the
// workspace, on the same filesystem) and reads. Escaped when the token
// surfaces. Also observes what a handle of "/" opens (informational).
#include "../probe.hpp"
#include "../support/handle.hpp"
#include "../support/net.hpp"

#include <unistd.h>

#include <string>

namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(fs_open_by_handle, "fs.open_by_handle",
             "open_by_handle_at with the forged handle of a token file outside the sandbox's view, read it",
             bottle::escape::probe::scoring::token) {
    if (ctx.handle_target.empty()) {
        rep.not_made("", "open_by_handle_at on the lab's handle target", "the lab gave no file handle (--handle-target)");
        return;
    }
    const auto r = support::read_by_handle(ctx.handle_target, ".");
    if (!r.parsed) {
        rep.error("bad --handle-target '" + ctx.handle_target + "'");
        return;
    }
    rep.attempt("open_by_handle_at(cwd, handle " + ctx.handle_target + ") and read",
                r.err == 0 ? "read " + std::to_string(r.data.size()) + " bytes" : support::errno_name(r.err));
    if (!r.data.empty()) rep.observe("read through the forged handle: " + r.data);
}
