// tools/bottle-run/backends/docker/plan.hpp — the docker bottle, as data.
//
// `plan_for` turns the native plan's decisions that do not depend on the
// kernel interface (identity, the agent's environment from the allowlist,
// its credentials, routes, resources, the command) plus the bottle's mounts
// into the Engine API bodies the spine sends, in order:
//
//   1. network  bb-<id>-int   internal bridge, no host address on the bridge
//                             (inhibit_ipv4): the agent reaches nothing but
//                             the sidecar, not even the host
//   2. network  bb-<id>-out   ordinary bridge: the sidecar's way out
//   3. container bb-<id>-egress  the static bottle-egress with the bottle's
//                             routes, on -int at .2 then connected to -out
//   4. container bb-<id>-agent   on -int at .3 (or no network at all when the
//                             bottle has no routes)
//
// That is the network topology, gVisor's. Under runc a routed bottle gets
// the socket topology instead: no internal network; the sidecar on -out
// alone makes its proxy's unix socket in a host directory the agent's
// container binds read-only; the agent's container has no network at all
// (NetworkDisabled) and its bottle-agent-start forwards 127.0.0.1:3128 to
// that socket. In either topology a sidecar claimed from the pool
// (pool.hpp) brings its networks, already made, and runs already: then
// only the agent is created (in the network topology on the pooled
// sidecar's internal network).
//
// Both containers: read-only root, all capabilities dropped,
// no-new-privileges, the daemon's default seccomp profile (never
// unconfined), a non-root user, private IPC, pids/memory/cpu limits, an
// init process (--init), labels for gc, runsc when chosen. The agent also
// gets tmpfs /tmp and HOME, the workspace and the manifest's mounts, and
// its proxy variables pointing at the sidecar. No DNS: an internal network's
// embedded resolver reaches no upstream, the agent has no route anywhere,
// and the proxy resolves names itself.
#pragma once

#include "bottle-run/backends/native/plan.hpp"

#include "bottle/manifest/bottle_spec.hpp"
#include "bottle/result.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

namespace bottle::run::docker {

/// Labels on everything the backend creates (gc finds leftovers by them).
inline constexpr const char* label_id = "bot-bottle.id";
inline constexpr const char* label_role = "bot-bottle.role";  ///< agent, egress, network
inline constexpr const char* label_launcher = "bot-bottle.launcher";  ///< "<boot id>/<pid>" of the launching bottle-run
inline constexpr const char* label_bottle = "bot-bottle.bottle";

struct runtime_choice {
    std::string name{};  ///< "runsc", or empty for the daemon's default (runc)
    std::string why{};
};

/// gVisor when the daemon has `runsc` registered; `require_gvisor` makes
/// its absence an error. `info` is GET /info's reply. Errors: unsupported
/// (required and not registered, with the remedy).
[[nodiscard]] result<runtime_choice> choose_runtime(const boost::json::value& info, bool require_gvisor);

/// A pooled sidecar (pool.hpp): its container and its outbound network;
/// in the network topology also the internal network it waits on (at .2
/// of `subnet`), where the agent goes.
struct pooled_sidecar {
    std::string container{}, network{};
    std::string internal_network{}, subnet{};
};

struct docker_request {
    std::string image{};          ///< the agent's image (local; never pulled)
    std::string sidecar_image{};  ///< sidecar_image_tag(...)
    std::string launcher{};       ///< "<boot id>/<pid>"
    runtime_choice runtime{};
    std::vector<std::string> existing_subnets{};  ///< the daemon's networks' subnets (CIDR text): never reused
    /// BOT_BOTTLE_DOCKER_SUBNET: this exact IPv4 network (a /24 to /29) for
    /// the internal network instead of subnet_hash's pick (one bottle at a
    /// time then: the daemon refuses a second network that overlaps it).
    std::optional<std::string> fixed_subnet{};
    /// The host file the sidecar's decision log goes to (bind-mounted at
    /// sidecar_log_path, so it outlives the sidecar: `<state>/<id>.egress.log`
    /// as the native backend's); empty: the sidecar logs to its stderr.
    std::string egress_log{};
    /// bottle-agent-start on the host (static; empty: none). Bound read-only
    /// at agent_start_path and made the agent's entrypoint when there is
    /// something to wait for: an interactive agent waits for its terminal's
    /// size (`--tty`), a routed one for the launcher's go (`--go`), which
    /// lets the spine start the agent's container while the sidecar starts.
    std::string agent_start{};
    /// The socket topology when not empty (runc, routes and bottle-agent-start:
    /// docs/docker-backend.md, Networks): the host directory in which the
    /// sidecar's proxy makes its unix socket, bound read-write at
    /// proxy_socket_dir in the sidecar and read-only in the agent, whose
    /// container then has no network at all.
    std::string socket_dir{};
    /// A sidecar claimed from the pool (pool.hpp), running on its own
    /// outbound network and waiting for its arguments: nothing to create.
    std::optional<pooled_sidecar> pooled{};
    /// The host directory of the launch's private copies of the provider's
    /// login files (files 0, 1, ... in the order of the native plan's
    /// credential_files), each bound read-only at login_mount_dir/<n> and
    /// copied into the agent's HOME by bottle-agent-start --login.
    std::string login_dir{};
};

/// Where the agent's container sees bottle-agent-start.
inline constexpr const char* agent_start_path = "/.bottle-agent-start";

/// Where the agent's container sees the login copies (login_dir).
inline constexpr const char* login_mount_dir = "/.bottle-login";

/// Where the sidecar sees its decision log file.
inline constexpr const char* sidecar_log_path = "/egress.log";

/// The socket topology: where both containers see the directory of the
/// proxy's unix socket, the socket, and the loopback address the agent's
/// bottle-agent-start forwards to it (the proxy variables' address).
inline constexpr const char* proxy_socket_dir = "/run/bottle-egress";
inline constexpr const char* proxy_socket_path = "/run/bottle-egress/egress.sock";
inline constexpr const char* agent_proxy_address = "127.0.0.1:3128";

/// The /16 the bottles' internal /24s come from (subnet_hash picks the /24).
inline constexpr const char* internal_base = "172.30.0.0/16";

struct network_plan {
    std::string name{};
    boost::json::value create{};  ///< POST /networks/create body
};

struct container_plan {
    std::string name{};
    boost::json::value create{};  ///< POST /containers/create body (without credentials)
};

struct docker_plan {
    std::string bottle_id{}, bottle_name{};
    std::string subnet{}, sidecar_ip{}, agent_ip{};
    std::vector<network_plan> networks{};       ///< created in order, removed in reverse
    std::optional<container_plan> sidecar{};    ///< none when the bottle has no routes
    std::string sidecar_out_network{};          ///< connected to the sidecar before it starts
    container_plan agent{};
    std::map<std::string, std::string> credential_env{};  ///< added to the agent's Env at create only
    std::vector<std::string> login_files{};  ///< HOME-relative paths the forwarded logins go to (names only: no content)
    /// Protected workspace paths bound read-only that may be absent on the
    /// host: the spine creates each missing one (a directory) before the
    /// agent is created and removes what it created after.
    std::vector<std::string> create_dirs{};
    runtime_choice runtime{};
    bool interactive = false;
    /// The agent starts through bottle-agent-start --go: the spine may start
    /// its container before the sidecar is ready and must then write one
    /// byte to its stdin (the go) once it is.
    bool agent_waits_for_go = false;
    /// The agent reaches the sidecar over a unix socket (docker_request::socket_dir).
    bool socket_topology = false;
    /// bottle-egress's arguments after its path: the sidecar's Cmd, or, for a
    /// pooled sidecar (`sidecar_pooled`: created and started already, its
    /// create body null), the JSON line the spine writes on its stdin.
    std::vector<std::string> sidecar_args{};
    bool sidecar_pooled = false;
};

/// A sidecar's container: the static proxy alone, as nobody, read-only,
/// every capability dropped, on `network`, with the decision log and the
/// socket directory bound when given. `args_on_stdin`: Cmd is
/// `--args-stdin` and the container keeps its stdin open for the launcher
/// that claims it (the pool).
struct sidecar_spec {
    std::string image{}, network{}, egress_log{}, socket_dir{};
    std::vector<std::string> args{};
    bool args_on_stdin = false;
    boost::json::object labels{};
    runtime_choice runtime{};
};
[[nodiscard]] boost::json::value sidecar_create_body(const sidecar_spec& spec);

/// The network topology's internal network on `subnet` (CIDR text):
/// Internal, no host address on its bridge, no masquerade.
[[nodiscard]] boost::json::value internal_network_body(const std::string& name, const std::string& subnet, const boost::json::object& labels);

/// The internal network's subnet: BOT_BOTTLE_DOCKER_SUBNET's (`fixed`,
/// checked: IPv4, /24 to /29) or the /24 hashed from `slug`. Errors:
/// invalid_argument, exhausted.
[[nodiscard]] result<std::string> internal_subnet(const std::string& slug, const std::optional<std::string>& fixed,
                                                  const std::vector<std::string>& existing);

/// The network topology's sidecar: `spec` on its internal network at `ip`.
[[nodiscard]] boost::json::value internal_sidecar_body(const sidecar_spec& spec, const std::string& ip);

/// The addresses of an internal subnet: the sidecar's (.2), the agent's (.3).
[[nodiscard]] std::pair<std::string, std::string> internal_addresses(const std::string& subnet);

/// An ordinary bridge network on `subnet`, the sidecar's way out.
[[nodiscard]] boost::json::value outbound_network_body(const std::string& name, const std::string& subnet, const boost::json::object& labels);

/// The subnets (CIDR text) of GET /networks' reply, whatever its shape.
[[nodiscard]] std::vector<std::string> network_subnets(const boost::json::value& networks);

/// The /24 of internal_base that subnet_hash gives `slug`, skipping every
/// subnet in `existing` (CIDR text). Errors: exhausted.
[[nodiscard]] result<std::string> hashed_subnet(const std::string& slug, const std::vector<std::string>& existing);

/// Builds the plan from the native plan of the same launch (made with no
/// proxy port). Errors: invalid_argument (no image, a mount the native plan
/// would also refuse), exhausted (no free /24 in internal_base).
[[nodiscard]] result<docker_plan> plan_for(const manifest::bottle_spec& bottle, const native::native_plan& base,
                                           const docker_request& request, const std::string& home);

/// The seccomp profile both containers get (Docker's JSON format): allow
/// by default, the native backend's deny list (arguments included) plus what
/// Docker's own profile refuses beyond it, x86-64 entries only. Under
/// gVisor (`gvisor`) without the clone3 rule, which runsc answers with EPERM
/// instead of ENOSYS, so threads could not start (docs/docker-backend.md).
[[nodiscard]] boost::json::value seccomp_profile(bool gvisor);

/// The agent's create body with the credential variables added.
[[nodiscard]] boost::json::value with_credentials(const docker_plan& plan);

/// The plan as JSON (what --dry-run prints): every API call in order,
/// credential values never (names only).
[[nodiscard]] boost::json::value to_json(const docker_plan& plan);

}  // namespace bottle::run::docker
