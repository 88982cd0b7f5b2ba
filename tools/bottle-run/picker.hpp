// tools/bottle-run/picker.hpp — the launch picker on a terminal (ncurses).
//
// `bottle-run agent` without a NAME, or `bottle-run` without a COMMAND, on
// a terminal: choose an agent from a filterable list, then its bottles
// (picker_model.hpp), then the launch goes on as `bottle-run agent NAME
// --bottle ...` would. Before launching, the resolved bottle (pretty JSON)
// and its lineage are printed on stderr. Without a terminal nothing
// prompts: parse_arguments makes the missing choice a usage error.
#pragma once

#include "bottle-run/picker_model.hpp"
#include "bottle-run/run_cli.hpp"

#include "bottle/manifest/model.hpp"
#include "bottle/result.hpp"

#include <ostream>
#include <string>
#include <vector>

namespace bottle::run {

/// The picker's lists from a manifest: every agent (sorted by name) with
/// its `bottle` list and provider; every bottle labelled with its lineage
/// (leaf first), or with why it does not resolve. `launch_bottles` (from
/// --bottle) replaces each agent's own pre-selection when not empty.
[[nodiscard]] picker_model make_picker(const manifest::manifest& m, const std::vector<std::string>& launch_bottles);

/// The resolved bottle of `bottles` as the picker prints it: "lineage: ..."
/// and the bottle as indented JSON (keys sorted). Errors: merge_bottles'.
[[nodiscard]] result<std::string> describe_choice(const manifest::manifest& m, const std::vector<std::string>& bottles);

/// Runs the picker on the terminal at stdin/stdout and turns `o` into the
/// chosen agent launch (command "agent", target, bottles). Returns 0 to go
/// on, or the exit status: 125 when cancelled (Esc, Ctrl-C), when the
/// manifest has no agents, or when the terminal cannot be driven.
[[nodiscard]] int pick_launch(options& o, const manifest::manifest& m, std::ostream& err);

}  // namespace bottle::run
