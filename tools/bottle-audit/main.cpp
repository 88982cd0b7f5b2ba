// bottle-audit — read-only audits of smolvm machines and manifests.
// Usage and exit codes: audit_cli.hpp, docs/bottle-audit.md.
#include "audit_cli.hpp"

#include <unistd.h>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        return bottle::audit::run_audit(args, bottle::smolvm::process_env(), std::cout, std::cerr,
                                        bottle::report::colour_wanted_for_fd(STDOUT_FILENO));
    } catch (const std::exception& e) {
        std::cerr << "bottle-audit: internal error: " << e.what() << '\n';
        return bottle::audit::exit_cannot_audit;  // never 0 when the audit did not finish
    }
}
