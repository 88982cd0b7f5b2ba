// tools/common/cli.hpp — the one command-line parser of every bottle-* tool.
//
// Every tool declares its options on a CLI11 `CLI::App` and parses through
// `bottle::cli::parse`, so unknown input, missing values and repeated options
// are refused the same way, with the same words, everywhere:
//   unknown option '--frob'        unexpected argument 'x'
//   --db needs a value             --db was given twice
//   --backend: <the validator's message>
// Each is exit 2 (`exit_usage`). `--help`/`-h` and `--version` are added to
// every app by `make_app`; the tool prints its own hand-written usage text
// (with an example and its exit codes) for --help.
//
// CLI11 is used for the grammar only: the tools keep their own semantic
// checks (which command, which combinations) after parsing.
#pragma once

#include "bottle/result.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::cli {

inline constexpr int exit_usage = 2;

/// What the caller should do after a successful parse.
enum class outcome {
    run,      ///< parsed; do the work
    help,     ///< --help was given: print the usage, exit 0
    version,  ///< --version was given: print the version, exit 0
};

/// An app with our conventions: `-h,--help` and `--version` flags, no
/// CLI11-generated help text (tools print their own), no config files.
[[nodiscard]] std::unique_ptr<CLI::App> make_app(std::string_view tool, std::string_view description);

/// Adds a single-valued option that may be given at most once and never empty.
CLI::Option* add_once(CLI::App& app, const std::string& name, std::string& into, const std::string& what);

/// Adds a boolean flag that may be given at most once.
CLI::Option* add_flag(CLI::App& app, const std::string& name, bool& into, const std::string& what);

/// Parses `args` (without argv[0]). Errors are errc::invalid_argument with
/// one of the messages listed in the banner.
[[nodiscard]] result<outcome> parse(CLI::App& app, const std::vector<std::string>& args);

/// Prints "TOOL: MESSAGE" then the usage text to `err` and returns exit_usage.
int usage_failure(std::ostream& err, std::string_view tool, const error& e, std::string_view usage);

/// argv[1..argc) as strings.
[[nodiscard]] std::vector<std::string> arguments(int argc, char** argv);

}  // namespace bottle::cli
