// bottle-egress: the per-bottle egress proxy (see docs/bottle-egress.md).
// Everything but the process lives in bottle_egress_core.
#include "bottle-egress/options.hpp"
#include "bottle-egress/server.hpp"
#include "common/cli.hpp"

#include <csignal>
#include <iostream>

int main(int argc, char** argv) {
    using namespace bottle::egress;
    std::signal(SIGPIPE, SIG_IGN);  // a closed peer is an error code, not a signal
    // --args-stdin: the rest of the arguments come as one line on stdin
    // (a sidecar started ahead of time waits here, serving nothing).
    auto args = expand_args_stdin(bottle::cli::arguments(argc, argv), std::cin);
    if (!args) return bottle::cli::usage_failure(std::cerr, "bottle-egress", args.error(), usage_text());
    auto cl = parse_command_line(*args);
    if (!cl) return bottle::cli::usage_failure(std::cerr, "bottle-egress", cl.error(), usage_text());
    if (cl->help) {
        std::cout << usage_text();
        return exit_ok;
    }
    if (cl->version) {
        std::cout << "bottle-egress " << BOTTLE_VERSION << "\n";
        return exit_ok;
    }
    return run_proxy(cl->cfg, std::cout, std::cerr);
}
