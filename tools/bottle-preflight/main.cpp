// bottle-preflight — checks a host's prerequisites for one or all backends.
// Usage and exit codes: preflight.hpp, docs/bottle-preflight.md.
#include "preflight.hpp"
#include "real_probes.hpp"

#include <unistd.h>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        bottle::preflight::real_probes probes;
        return bottle::preflight::run_preflight(args, probes, std::cout, std::cerr,
                                                bottle::report::colour_wanted_for_fd(STDOUT_FILENO));
    } catch (const std::exception& e) {
        std::cerr << "bottle-preflight: internal error: " << e.what() << '\n';
        return 1;  // never 0 when the checks could not all run
    }
}
