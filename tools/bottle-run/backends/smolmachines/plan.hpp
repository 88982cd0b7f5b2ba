// tools/bottle-run/backends/smolmachines/plan.hpp — a smolvm micro-VM bottle, as data.
//
// `plan_for(bottle, request, alias)` decides everything the smolmachines
// spine (launch.hpp) does: the machine's name, the loopback alias its bundle
// (bottle-egress) listens on and the bundle's ports, the exact allowlist the
// VM must carry (the alias /32, nothing else), the guest environment (proxy
// variables pointing at alias:port), every smolvm command line, and the stage
// files written next to the bottle's state. It touches no OS; the spine only
// applies it. `judge_version` is the version policy (docs/smolvm.md,
// "Versions").
#pragma once

#include "bottle-run/egress_routes.hpp"
#include "bottle/manifest/bottle_spec.hpp"
#include "bottle/net/cidr.hpp"
#include "bottle/result.hpp"
#include "bottle/smolvm/vm_record.hpp"

#include <boost/json/value.hpp>

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace bottle::run::smolmachines {

/// The guest paths every smolvm bottle uses.
inline constexpr const char* workspace_path = "/workspace";
inline constexpr const char* home_path = "/root";
/// The bundle's egress proxy port on the bottle's own alias. The alias is the
/// bottle's alone, so a fixed port never collides with another bottle.
inline constexpr std::uint16_t egress_port = 3128;
/// The image used when neither --from nor an image is given.
inline constexpr const char* default_image = "alpine:3.20";

struct smolvm_request {
    std::vector<std::string> argv{};                     ///< the agent's command, never empty
    std::optional<std::string> workspace{};              ///< absolute host directory -> /workspace (rw)
    std::map<std::string, std::string> launcher_env{};   ///< TERM/LANG/HOME only are read
    std::string bottle_id{};                             ///< unique per launch: the machine's name
    std::string smolvm = "smolvm";                       ///< the smolvm binary (found on PATH)
    std::string image = default_image;                   ///< -I IMAGE (ignored with `from`)
    std::optional<std::string> from{};                   ///< --from ARTIFACT (.smolmachine)
    std::string stage_dir{};                             ///< where the stage files go
    std::map<std::string, std::string> credential_env{}; ///< secrets: exec -e only, never persisted
};

struct stage_file {
    std::string name{};     ///< relative to the stage directory
    std::string content{};
    unsigned mode = 0600;
};

struct smolvm_plan {
    std::string bottle_id{}, machine{}, bottle_name{};
    std::vector<std::string> lineage{};
    std::string canonical{};
    net::address_v4 alias{};
    std::uint16_t proxy_port = egress_port;
    std::map<std::string, std::uint16_t> bundle_ports{};  ///< service -> port on the alias
    std::vector<std::string> allowlist{};      ///< exactly {"ALIAS/32"}: what the state DB must hold
    egress_routes egress{};                    ///< the routes bottle-egress enforces
    std::vector<std::string> env{};            ///< guest environment (K=V, sorted), no credentials
    std::map<std::string, std::string> credential_env{};
    std::vector<std::string> argv{};
    std::string workdir{};
    std::vector<std::string> create{}, start{}, exec{}, stop{}, remove{}, version{};
    std::vector<stage_file> stage{};
    std::string stage_dir{};
};

/// The workspace paths shared read-only (native::protected_workspace_paths())
/// and, first, ".github", shared writable on its own so it cannot be renamed
/// in the guest. All must exist in the workspace (the spine creates them).
[[nodiscard]] const std::vector<std::string>& protected_paths();

/// Builds the plan. `alias` must be the bottle's allocated loopback alias.
/// Errors: invalid_argument (empty argv, relative workspace or mount path, a
/// mount onto a guest path the bottle owns, a bottle id smolvm cannot name a
/// machine, an env value with a newline), unsupported (another backend).
[[nodiscard]] result<smolvm_plan> plan_for(const manifest::bottle_spec& bottle, const smolvm_request& request,
                                           const net::address_v4& alias);

/// The guest environment: PATH, TERM/LANG from the launcher, the bottle's
/// env, HOME, BOT_BOTTLE_ID, and the proxy variables (the launcher's, never
/// the manifest's) pointing at http://ALIAS:PORT; NO_PROXY empty.
[[nodiscard]] std::vector<std::string> guest_environment(const manifest::bottle_spec& bottle, const smolvm_request& request,
                                                         const net::address_v4& alias, std::uint16_t port);

/// A dotted smolvm release. A pre-release (1.1.3-rc.1) orders before its
/// release, as in SemVer: it may not carry the release's fix.
struct smolvm_version {
    unsigned major = 0, minor = 0, patch = 0;
    bool prerelease = false;
    friend std::strong_ordering operator<=>(const smolvm_version& a, const smolvm_version& b) {
        if (auto c = std::tie(a.major, a.minor, a.patch) <=> std::tie(b.major, b.minor, b.patch); c != 0) return c;
        return b.prerelease <=> a.prerelease;
    }
    friend bool operator==(const smolvm_version&, const smolvm_version&) = default;
    [[nodiscard]] std::string text() const;
};

/// The first N.N[.N] in `smolvm --version` output ("smolvm 1.9.2" -> 1.9.2);
/// a '-' and a letter or digit right after it marks a pre-release.
[[nodiscard]] std::optional<smolvm_version> parse_version(std::string_view output);

/// First release whose CIDR policy is enforced (virtio-net forced under a policy).
inline constexpr smolvm_version first_enforcing{1, 1, 3};
/// First release whose `machine create --from` keeps --allow-cidr.
inline constexpr smolvm_version first_keeping_from_allowlist{1, 8, 0};

struct version_verdict {
    bool allowed = false;          ///< default: refused
    bool expect_dropped_allowlist = false;  ///< --from on < 1.8.0: the record will need patching
    std::string message{};         ///< why, citing docs/smolvm.md
};

/// Refuses an unknown version and anything before 1.1.3 (TSI did not enforce
/// the allowlist: nothing the launcher writes could make it hold). Allows
/// --from before 1.8.0, saying the dropped allowlist will be patched and
/// verified before start.
[[nodiscard]] version_verdict judge_version(const std::optional<smolvm_version>& v, bool uses_from);

/// What the stored machine record must also say, beyond its allowlist (which
/// policy::enforce confirms): no `dns_filter_hosts` (smolvm appends each
/// name's resolved addresses to the allowlist when it starts the machine),
/// no network backend but virtio-net (TSI does not enforce the list), and,
/// before bottle-run's own `machine start`, not running (it would have run
/// before its allowlist was confirmed). Errors: permission_denied saying which.
[[nodiscard]] result<void> judge_record(const smolvm::vm_record& record, bool before_start);

/// The plan as JSON (what --dry-run prints); credentials by name only.
[[nodiscard]] boost::json::value to_json(const smolvm_plan& plan);

}  // namespace bottle::run::smolmachines
