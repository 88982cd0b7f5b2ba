// tools/bottle-preflight/checks_smolvm.hpp — prerequisites of the smolmachines backend.
//
// smolvm.cli (on PATH), smolvm.version (>= 1.8.0, where `machine create
// --from` stopped dropping --allow-cidr), smolvm.kvm (/dev/kvm opens
// read-write on Linux), smolvm.state_db (where smolvm keeps machine state;
// see the smolvm state-database reference in the project's shared docs).
#pragma once

#include "check_support.hpp"
#include "system_probes.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace bottle::preflight {

inline constexpr const char* smolvm_category = "smolmachines";
/// First release whose `--from` keeps `--allow-cidr`.
inline constexpr version smolvm_fixed_from_allowlist{1, 8, 0};
/// First release that enforces a CIDR policy (before it, TSI ignored it).
inline constexpr version smolvm_first_enforcing{1, 1, 3};

/// smolvm.cli — smolvm on PATH. Returns the path in `found` when ok.
[[nodiscard]] check_result check_smolvm_cli(system_probes& p);

/// smolvm.version — `smolvm --version`; fail below 1.1.3, warn below 1.8.0.
[[nodiscard]] check_result check_smolvm_version(system_probes& p);

/// smolvm.kvm — /dev/kvm exists and opens read-write (Linux only).
[[nodiscard]] check_result check_smolvm_kvm(system_probes& p);

/// Where smolvm keeps its state database on this host, from SMOLVM_DATA_DIR,
/// XDG_DATA_HOME (absolute only, Linux) or HOME; errc::not_found when none is set.
[[nodiscard]] result<std::string> smolvm_state_db_path(system_probes& p);

/// smolvm.state_db — the state database path resolves; missing file = warn.
[[nodiscard]] check_result check_smolvm_state_db(system_probes& p);

/// Every smolmachines check, in a stable order.
[[nodiscard]] std::vector<check_result> smolvm_checks(system_probes& p);

}  // namespace bottle::preflight
