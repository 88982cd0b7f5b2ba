// bottle/manifest/model.hpp — what a loaded manifest holds, and its limits.
//
// A manifest is `{"bottles": {...}, "agents": {...}}`, read from one file or
// merged from a directory of `*.json` files (see parse.hpp). Bottles stay JSON
// objects (boost::json) until they are resolved, because merging needs to see
// `null` (which deletes an inherited key); `origin_of` remembers which file
// defined each bottle and agent so errors can name it. The format, the merge
// rules and every error are documented in docs/manifest.md.
#pragma once

#include <boost/json/object.hpp>

#include <algorithm>
#include <cstddef>
#include <istream>
#include <map>
#include <string>
#include <string_view>

namespace bottle::manifest {

/// Explicit bounds on untrusted manifests. Every error that hits one names the
/// limit (e.g. "limit max_routes (4096) exceeded").
struct limits {
    std::size_t max_file_bytes = 4u * 1024u * 1024u;  ///< per manifest file
    std::size_t max_json_depth = 16;                  ///< JSON nesting (a full manifest needs 7)
    std::size_t max_files = 256;                      ///< *.json files in a manifest directory
    std::size_t max_bottles = 1024;                   ///< bottles in the whole manifest
    std::size_t max_agents = 1024;                    ///< agents in the whole manifest
    std::size_t max_routes = 4096;                    ///< egress entries per bottle (raw and resolved)
    std::size_t max_ports = 64;                       ///< ports per egress entry
    std::size_t max_mounts = 256;                     ///< mounts per bottle
    std::size_t max_env = 1024;                       ///< env variables per bottle
    std::size_t max_repos = 256;                      ///< git-gate repos per bottle
    std::size_t max_list = 256;                       ///< extends, command, skills, agent bottles
    std::size_t max_extends_depth = 32;               ///< longest extends chain, counting the bottle itself
    std::size_t max_lineage = 128;                    ///< bottles merged into one resolved bottle (bounds the work)
};

/// A parsed manifest. Every raw definition in it has passed schema validation
/// (schema.hpp) when it comes out of parse.hpp, and every bottle resolves.
struct manifest {
    boost::json::object bottles;  ///< name -> raw bottle definition (may hold nulls and `extends`)
    boost::json::object agents;   ///< name -> agent definition
    std::map<std::string, std::string, std::less<>> bottle_origin;  ///< name -> file that defined it
    std::map<std::string, std::string, std::less<>> agent_origin;   ///< name -> file that defined it

    /// The file that defined bottle `name`, or "<manifest>" when unknown.
    [[nodiscard]] std::string origin_of_bottle(std::string_view name) const {
        auto it = bottle_origin.find(name);
        return it == bottle_origin.end() ? std::string("<manifest>") : it->second;
    }
    [[nodiscard]] std::string origin_of_agent(std::string_view name) const {
        auto it = agent_origin.find(name);
        return it == agent_origin.end() ? std::string("<manifest>") : it->second;
    }
};

namespace detail {

/// Appends one reference token to a JSON pointer (RFC 6901: `~` -> `~0`, `/` -> `~1`).
inline std::string pointer_join(std::string_view pointer, std::string_view token) {
    std::string out(pointer);
    out.push_back('/');
    for (char c : token) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out.push_back(c);
    }
    return out;
}

inline std::string pointer_join(std::string_view pointer, std::size_t index) {
    return std::string(pointer) + "/" + std::to_string(index);
}

/// "limit max_routes (4096) exceeded" — the wording every limit error uses.
inline std::string limit_text(std::string_view name, std::size_t value) {
    return "limit " + std::string(name) + " (" + std::to_string(value) + ") exceeded";
}

/// Up to `max_bytes` + 1 bytes of `in` (one more reveals a file over the
/// limit), read in 16 KiB steps: memory grows with the file, not with the
/// limit (a buffer of the whole 4 MiB limit, zero-filled, cost every launch
/// a millisecond of page faults). A read error leaves in.bad() set.
inline std::string read_at_most(std::istream& in, std::size_t max_bytes) {
    std::string text;
    constexpr std::size_t step = 16 * 1024;
    while (in && text.size() <= max_bytes) {
        const std::size_t want = std::min(step, max_bytes + 1 - text.size());
        const std::size_t had = text.size();
        text.resize(had + want);
        in.read(text.data() + had, static_cast<std::streamsize>(want));
        text.resize(had + static_cast<std::size_t>(in.gcount()));
    }
    return text;
}

}  // namespace detail

/// True for a name a bottle or agent may have: 1..63 bytes of [A-Za-z0-9._-],
/// starting with a letter or digit. Names appear in lineages ("a -> b"), in
/// runtime merges ("a+b") and in network slugs, so nothing else is allowed.
[[nodiscard]] inline bool is_valid_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 63) return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    if (!alnum(name.front())) return false;
    for (char c : name)
        if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
    return true;
}

}  // namespace bottle::manifest
