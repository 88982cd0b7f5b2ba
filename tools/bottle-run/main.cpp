// bottle-run — launch a command or an agent in a bottle.
// Usage and exit codes: run_cli.hpp, docs/bottle-run.md.
#include "bottle-run/run_cli.hpp"

#include <exception>
#include <iostream>
#include <map>
#include <string>
#include <vector>

extern char** environ;

int main(int argc, char** argv) {
    try {
        std::map<std::string, std::string> env;
        for (char** e = environ; e && *e; ++e) {
            const std::string kv(*e);
            const auto eq = kv.find('=');
            if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
        }
        return bottle::run::run_main(std::vector<std::string>(argv + 1, argv + argc), env, std::cout, std::cerr);
    } catch (const std::exception& e) {
        std::cerr << "bottle-run: internal error: " << e.what() << '\n';
        return bottle::run::exit_launcher_failed;
    }
}
