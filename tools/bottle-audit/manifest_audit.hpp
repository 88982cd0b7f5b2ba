// tools/bottle-audit/manifest_audit.hpp — lint the resolved bottles of a
// manifest (`bottle-audit manifest PATH`).
//
// The manifest is loaded with the strict loader (manifest/parse.hpp): an
// unknown key, a bad type, a cycle — anything the loader refuses — is an
// error (the tool's exit 2) carrying the loader's message, which names the
// file and the JSON pointer. Every bottle is then resolved (extends applied)
// and each resolved route is judged by `judge_route`; each finding's evidence
// names the file and pointer of the definition the route came from.
//
// Host rules (documented with severities in docs/bottle-audit.md):
//   "*"                          route_matches_everything      critical
//   "*.com", "*.co.uk"           route_public_suffix_wildcard  critical
//   "*.herokuapp.com", ...       route_shared_hosting_wildcard high
//   "a*.b", "x.*.com", "*x.com"  route_malformed_wildcard      medium
//   an IP literal                route_ip_literal              medium (global) / high (any other class)
//   "2130706433", "0x7f.1"       route_numeric_host            high
//   any other route bottle-egress refuses (policy::make_route: "localhost",
//   "co.uk", "exa_mple.com")     route_refused_by_proxy        high
//   ports other than 80 and 443  route_unusual_port            low
// Hosts are judged with the proxy's own functions (policy/egress_policy.hpp).
// and a bottle without any route is `bottle_no_egress` (low).
#pragma once

#include "audit_outcome.hpp"

#include "bottle/manifest/bottle_spec.hpp"
#include "bottle/manifest/parse.hpp"
#include "bottle/manifest/resolve.hpp"
#include "bottle/net/cidr.hpp"
#include "bottle/policy/egress_policy.hpp"
#include "bottle/result.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::audit {

/// Domains under which anyone can publish content or run a server: a wildcard
/// route covering one of them lets an agent reach hosts its user never chose.
inline constexpr std::array<std::string_view, 28> shared_hosting_domains{
    "githubusercontent.com", "github.io",        "gitlab.io",           "amazonaws.com",
    "cloudfront.net",        "herokuapp.com",    "vercel.app",          "netlify.app",
    "azurewebsites.net",     "appspot.com",      "pages.dev",           "workers.dev",
    "r2.dev",                "firebaseapp.com",  "web.app",             "blob.core.windows.net",
    "azureedge.net",         "storage.googleapis.com", "googleusercontent.com", "fly.dev",
    "onrender.com",          "glitch.me",        "ngrok.io",            "ngrok-free.app",
    "trycloudflare.com",     "surge.sh",         "deno.dev",            "repl.co"};

/// Where a resolved route was written.
struct route_origin {
    std::string file{};     ///< the manifest file that defined it
    std::string pointer{};  ///< JSON pointer in that file, e.g. "/bottles/base/egress/0"
};

namespace detail {

bool is_under(std::string_view name, std::string_view domain);

/// The shared hosting domain `suffix` is under or contains, if any.
std::optional<std::string_view> is_shared_hosting(std::string_view suffix);

/// The finding for a route bottle-egress refuses at load (policy::make_route).
report::finding refused_by_proxy(const std::string& quoted, const std::string& why, const std::string& subject,
                                 boost::json::object evidence);

/// True when the last label is all digits or a 0x hex number: no real
/// top-level domain looks like that, but resolvers read such names as IPv4
/// in forms (127.1, 0x7f.1, 2130706433, 010.0.0.1) strict parsing refuses.
bool looks_numeric(std::string_view h);

}  // namespace detail

/// Findings about one route (host as written, ports as resolved; empty ports
/// = the proxy's defaults 80/443). `subject` and `evidence_base` (file,
/// pointer, lineage) are copied into each finding.
[[nodiscard]] std::vector<report::finding> judge_route(std::string_view host, const std::vector<std::uint16_t>& ports,
                                                              const std::string& subject, const boost::json::object& evidence_base);

/// Where route `host` of resolved bottle `lineage` (root-first) was written:
/// the last bottle of the lineage whose raw egress lists that host.
[[nodiscard]] route_origin find_route_origin(const manifest::manifest& m, const std::vector<std::string>& lineage,
                                                    std::string_view host);

/// Lints every bottle of a loaded manifest. Errors: a bottle that does not
/// resolve (cannot happen for a manifest from load_manifest, which checks
/// that every bottle resolves) — the resolver's message.
[[nodiscard]] result<audit_outcome> audit_bottles(const manifest::manifest& m, std::string target = {});

/// Loads `path` (a file, or a directory of *.json) strictly and lints it.
/// Errors: every loader error (not_found, io_error, parse_error naming file
/// and pointer, limit_exceeded, conflict) — the tool's exit 2.
[[nodiscard]] result<audit_outcome> audit_manifest_path(const std::filesystem::path& path);

}  // namespace bottle::audit
