// tools/bottle-run/backends/docker/image.hpp — the agent's image, built
// locally from a recipe when no --image names one.
//
// The recipe is the bottle's own Dockerfile (the manifest's `dockerfile`),
// else its agent's provider template's image recipe
// (`<providers dir>/images/<image>/Dockerfile`, e.g. images/claude/). The
// build context is the Dockerfile's directory, sent to the daemon as a tar
// with fixed owners and times, less what its .dockerignore excludes (POST
// /build: the API form of `docker build`);
// nothing is pulled (pull=0): every FROM image must already be on the
// daemon, and a missing one is an error that says how to make a Debian base
// image locally (scripts/debian-base-image.sh: debootstrap + docker import).
//
// Content-addressed: the tag is bot-bottle/agent:<24 hex of the SHA-256 of
// the context tar and the FROM images' ids>, so an unchanged recipe on an
// unchanged base is built once and every later launch reuses it (one
// GET /images/TAG/json), and a changed file or a rebuilt base builds anew.
// Builds carry labels (bot-bottle.role=agent-image, .recipe, .inputs): gc
// removes the builds of a recipe that a newer build of it superseded.
#pragma once

#include "bottle-run/backends/docker/engine.hpp"

#include "bottle/result.hpp"

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace bottle::run::docker {

inline constexpr const char* agent_image_repo = "bot-bottle/agent";
inline constexpr const char* agent_image_role = "agent-image";
inline constexpr const char* label_recipe = "bot-bottle.recipe";  ///< "bottle NAME" or "provider NAME"
inline constexpr const char* label_inputs = "bot-bottle.inputs";  ///< the full SHA-256 of the inputs
/// Bounds on a build context (a directory that is not meant as one, $HOME
/// say, is refused instead of being sent).
inline constexpr std::size_t max_context_bytes = 256u << 20;
inline constexpr std::size_t max_context_entries = 10000;

struct image_recipe {
    std::string recipe{};      ///< for people and the recipe label: "bottle dev's Dockerfile"
    std::string label{};       ///< label value: "bottle dev" / "provider claude"
    std::string dockerfile{};  ///< absolute path on the host
    std::string context{};     ///< the Dockerfile's directory
};

/// Which recipe builds the agent's image. `bottle_dockerfile` (absolute or
/// "~/..." with `home`) wins; else the provider's recipe `image` next to its
/// template `provider_source`; neither: nullopt. Errors: invalid_argument (a
/// relative dockerfile path), not_found (the named Dockerfile is missing:
/// says which file and what names it).
[[nodiscard]] result<std::optional<image_recipe>> recipe_for(const std::optional<std::string>& bottle_dockerfile, const std::string& bottle_name,
                                                             const std::string& provider_name, const std::string& provider_image,
                                                             const std::string& provider_source, const std::string& home);

/// The context directory as a ustar archive in name order, owners 0, times
/// 0, permission bits kept, symlinks stored as links (never followed),
/// without what its .dockerignore leaves out (context_ignore.hpp; the
/// Dockerfile `dockerfile_name` and .dockerignore are always sent).
/// Errors: limit_exceeded (names max_context_bytes / max_context_entries),
/// invalid_argument (a socket, fifo or device in it: names it), io_error.
[[nodiscard]] result<std::string> context_tar(const std::string& dir, const std::string& dockerfile_name = "Dockerfile");

/// The images a Dockerfile's FROM lines name, in order, without build
/// stages named by an earlier `AS`, `scratch`, and duplicates; `${NAME}` and
/// `$NAME` are replaced by the defaults of the ARGs before the first FROM,
/// and a name with a variable left (an ARG without a default) is left out:
/// the daemon's build judges it. Pure.
[[nodiscard]] std::vector<std::string> from_images(const std::string& dockerfile_text);

/// SHA-256 of `bytes` as 64 lowercase hex digits. Pure.
[[nodiscard]] std::string sha256_hex(const std::string& bytes);

/// The tag for a build of `context` on bases with these ids (in FROM
/// order), and the full digest the inputs label carries. Pure.
struct image_identity {
    std::string tag{}, inputs{};
};
[[nodiscard]] image_identity identity_of(const std::string& context, const std::string& dockerfile_name,
                                         const std::vector<std::string>& base_ids);

/// The agent image of `recipe` on the daemon: reused when its tag exists,
/// else built (the daemon's build output on `progress`, which is stderr).
/// `dry_run`: the tag only, nothing built. Errors: not_found (a FROM image
/// is not on the daemon: names it and the remedy), io_error (the build
/// failed: the daemon's message, e.g. the failing step's), and those of
/// context_tar.
[[nodiscard]] result<std::string> ensure_agent_image(const engine& e, const image_recipe& recipe, bool dry_run, std::ostream& progress);

/// The agent image of a launch without --image, from the daemon DOCKER_HOST
/// in `env` names (ensure_agent_image). Runs before the launch blocks
/// signals: ^C during a build ends bottle-run (and, with its connection,
/// the daemon's build); nothing of the bottle exists yet. A dry run with no
/// daemon answering gives a placeholder naming the recipe. Errors:
/// endpoint_from's, io_error (no daemon), ensure_agent_image's.
[[nodiscard]] result<std::string> agent_image_for(const image_recipe& recipe, const std::map<std::string, std::string>& env, bool dry_run,
                                                  std::ostream& progress);

/// gc: removes agent images superseded by a newer build of the same recipe
/// (the newest of each recipe stays; an image a container still uses is
/// left, the daemon refuses it). Says what on `out`; returns how many went.
[[nodiscard]] result<int> collect_agent_images(const engine& e, std::ostream& out);

}  // namespace bottle::run::docker
