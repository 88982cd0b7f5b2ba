// tools/bottle-run/backends/sidecar/sidecar_bundle.hpp — the sidecar's root
// filesystem, made here from a static bottle-egress (no registry, no base
// image, nothing pulled).
//
// The bundle is a tar of a minimal root: /bottle-egress (the static proxy),
// /etc/passwd and /etc/group naming only nobody (65534), empty /etc/hosts and
// /etc/resolv.conf mount points, and a sticky /tmp. Backends use it as they
// can: docker imports it as an image (`POST /images/create?fromSrc=-`, the
// API form of `docker import`), tagged with a digest of the binary so a
// rebuilt proxy gets a new image and an unchanged one is imported once; the
// smolmachines backend can unpack the same tar into its VM's disk.
//
// Interface for other backends:
//   find_static_egress(env)           where the static proxy is, checked static
//   sidecar_rootfs_tar(binary_bytes)  the tar (pure: bytes in, bytes out)
//   sidecar_image_tag(binary_bytes)   "bot-bottle/egress:<16 hex of its FNV-1a 64>"
//   sidecar_proxy_path                the proxy's path inside the bundle
#pragma once

#include "bottle/result.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace bottle::run::sidecar {

inline constexpr const char* sidecar_proxy_path = "/bottle-egress";
inline constexpr const char* sidecar_image_repo = "bot-bottle/egress";
/// The sidecar's proxy port inside the bottle's network.
inline constexpr std::uint16_t sidecar_proxy_port = 3128;
inline constexpr unsigned sidecar_uid = 65534;

/// The static bottle-egress: $BOTTLE_EGRESS_STATIC, else bottle-egress-static
/// next to the running bottle-run (installed) or in the build tree
/// (tools/bottle-egress/). A dynamically linked file is refused: it would not
/// run in an image without libraries. Errors: not_found (says where it
/// looked and how to build it), invalid_argument (not a static ELF).
[[nodiscard]] result<std::string> find_static_egress(const std::map<std::string, std::string>& env);

/// True when `elf` is an ELF executable with no program interpreter
/// (statically linked). Pure.
[[nodiscard]] bool is_static_elf(const std::string& elf);

/// The bundle as a ustar archive. Pure.
[[nodiscard]] std::string sidecar_rootfs_tar(const std::string& egress_binary);

/// The image name for this binary. Pure and stable across runs.
[[nodiscard]] std::string sidecar_image_tag(const std::string& egress_binary);

/// A ustar archive writer (enough for a rootfs: files, directories, symlinks).
class tar_writer {
public:
    void directory(const std::string& path, unsigned mode);
    void file(const std::string& path, const std::string& content, unsigned mode, unsigned uid = 0, unsigned gid = 0);
    void symlink(const std::string& path, const std::string& target);
    /// The archive with its two zero end blocks.
    [[nodiscard]] std::string finish() &&;

private:
    void header(const std::string& path, char type, std::size_t size, unsigned mode, unsigned uid, unsigned gid, const std::string& link);
    std::string out_;
};

}  // namespace bottle::run::sidecar
