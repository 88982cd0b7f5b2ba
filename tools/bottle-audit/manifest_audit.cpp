#include "bottle-audit/manifest_audit.hpp"

namespace bottle::audit::detail {

bool is_under(std::string_view name, std::string_view domain) {
    return name == domain || (name.size() > domain.size() && name.ends_with(domain) &&
                              name[name.size() - domain.size() - 1] == '.');
}

std::optional<std::string_view> is_shared_hosting(std::string_view suffix) {
    for (auto d : shared_hosting_domains)
        if (is_under(suffix, d) || is_under(d, suffix)) return d;
    return std::nullopt;
}

report::finding refused_by_proxy(const std::string& quoted, const std::string& why, const std::string& subject,
                                 boost::json::object evidence) {
    return {"manifest.route_refused_by_proxy", report::severity::high, subject,
            quoted + " is refused by the egress proxy, so the bottle cannot start with it: " + why,
            "write the exact host names the agent needs (letters, digits, '-', '.'; IDNA A-labels for non-ASCII)",
            std::move(evidence)};
}

bool looks_numeric(std::string_view h) {
    if (h.find(':') != std::string_view::npos) return true;  // an IPv6-ish text that failed strict parsing
    const auto dot = h.rfind('.');
    std::string_view last = dot == std::string_view::npos ? h : h.substr(dot + 1);
    if (last.empty()) return false;
    if (last.size() > 2 && last[0] == '0' && last[1] == 'x')
        return std::all_of(last.begin() + 2, last.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
    return std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace bottle::audit::detail

namespace bottle::audit {

std::vector<report::finding> judge_route(std::string_view host, const std::vector<std::uint16_t>& ports,
                                                              const std::string& subject, const boost::json::object& evidence_base) {
    using report::severity;
    std::vector<report::finding> out;
    auto evidence = [&] {
        boost::json::object e = evidence_base;
        e["host"] = host;
        boost::json::array p;
        for (auto port : ports) p.emplace_back(port);
        e["ports"] = std::move(p);
        return e;
    };
    const std::string h = policy::host_key(host);
    const std::string quoted = "route \"" + std::string(host) + "\"";
    if (h == "*" || h == "*.") {
        out.push_back({"manifest.route_matches_everything", severity::critical, subject,
                       quoted + " matches every host: the bottle has unrestricted egress by name",
                       "list the exact hosts the agent needs (e.g. api.anthropic.com)", evidence()});
    } else if (h.find('*') != std::string::npos) {
        const bool leading = h.size() > 2 && h.starts_with("*.") && h.find('*', 1) == std::string::npos;
        const std::string suffix = leading ? h.substr(2) : std::string();
        if (!leading) {
            out.push_back({"manifest.route_malformed_wildcard", severity::medium, subject,
                           quoted + " has '*' somewhere other than a whole leading label (\"*.example.com\"): the "
                                    "egress proxy does not define what it matches",
                           "write an exact host, or a leading wildcard \"*.example.com\"", evidence()});
        } else if (suffix.find('.') == std::string::npos ||
                   (policy::builtin_public_suffixes().is_public_suffix(suffix) && !detail::is_shared_hosting(suffix))) {
            out.push_back({"manifest.route_public_suffix_wildcard", severity::critical, subject,
                           quoted + " matches every name under the public suffix \"" + suffix +
                               "\": anyone can register a domain there, so this is unrestricted egress",
                           "list the exact hosts the agent needs under ." + suffix, evidence()});
        } else if (const auto d = detail::is_shared_hosting(suffix)) {
            out.push_back({"manifest.route_shared_hosting_wildcard", severity::high, subject,
                           quoted + " covers the shared hosting domain " + std::string(*d) +
                               ", where anyone can publish a host: an agent could reach (and exfiltrate to) "
                               "a stranger's site" + (policy::make_route(host) ? "" : "; bottle-egress refuses it"),
                           "replace the wildcard with the exact hosts needed (e.g. raw.githubusercontent.com)",
                           evidence()});
        } else if (auto r = policy::make_route(host, ports); !r) {
            out.push_back(detail::refused_by_proxy(quoted, r.error().message, subject, evidence()));
        }
    } else {
        std::string_view literal = h;
        if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']') literal = literal.substr(1, literal.size() - 2);
        if (auto a = net::parse_address(literal)) {
            const auto cls = net::classify(*a);
            const bool global = !policy::check_address(*a, {}).refused;  // what the proxy's deny floor would let through
            out.push_back({"manifest.route_ip_literal", global ? severity::medium : severity::high, subject,
                           quoted + " is an IP literal (" + std::string(net::to_string(cls)) + " address)" +
                               (global ? ": no name is checked against TLS, and the address may change owner"
                                       : ": naming it pierces the proxy's deny floor for internal addresses"),
                           "route to the service's host name instead of its address", evidence()});
        } else if (policy::ip_literal(h) || (!policy::canonical_host(h) && detail::looks_numeric(h))) {
            out.push_back({"manifest.route_numeric_host", severity::high, subject,
                           quoted + " is not a host name, and not an address in strict form: resolvers read "
                                    "numeric forms like 127.1, 0x7f.1 or 2130706433 as IPv4 addresses",
                           "write the host name, or the address in dotted-quad form", evidence()});
        } else if (auto r = policy::make_route(host, ports); !r) {
            out.push_back(detail::refused_by_proxy(quoted, r.error().message, subject, evidence()));
        }
    }
    std::vector<std::uint16_t> unusual;
    for (auto p : ports)
        if (p != 80 && p != 443) unusual.push_back(p);
    if (!unusual.empty()) {
        std::string list;
        for (auto p : unusual) list += (list.empty() ? "" : ", ") + std::to_string(p);
        out.push_back({"manifest.route_unusual_port", severity::low, subject,
                       quoted + " allows port(s) " + list + " besides the web ports 80/443: check that the agent needs them",
                       "remove the ports the agent does not need", evidence()});
    }
    return out;
}

route_origin find_route_origin(const manifest::manifest& m, const std::vector<std::string>& lineage,
                                                    std::string_view host) {
    const std::string key = policy::host_key(host);
    for (auto it = lineage.rbegin(); it != lineage.rend(); ++it) {
        const auto* raw = m.bottles.if_contains(*it);
        const auto* egress = raw && raw->is_object() ? raw->get_object().if_contains("egress") : nullptr;
        if (!egress || !egress->is_array()) continue;
        const auto& a = egress->get_array();
        for (std::size_t i = 0; i < a.size(); ++i) {
            const auto* h = a[i].is_object() ? a[i].get_object().if_contains("host") : nullptr;
            if (h && h->is_string() && policy::host_key(h->get_string()) == key)
                return {m.origin_of_bottle(*it), "/bottles/" + *it + "/egress/" + std::to_string(i)};
        }
    }
    return {"<manifest>", ""};
}

result<audit_outcome> audit_bottles(const manifest::manifest& m, std::string target) {
    audit_outcome o;
    o.kind = "manifest";
    o.target = std::move(target);
    std::vector<std::string> names;
    for (const auto& kv : m.bottles) names.emplace_back(kv.key());
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        auto resolved = manifest::resolve_bottle(m, name);
        if (!resolved) return resolved.error();
        auto spec = manifest::to_spec(*resolved);
        if (!spec) return spec.error();
        const std::string subject = "bottle " + name;
        o.subjects.push_back(subject);
        const std::string lineage = manifest::format_lineage(spec->lineage);
        if (spec->egress.empty()) {
            o.findings.push_back({"manifest.bottle_no_egress", report::severity::low, subject,
                                  "the bottle has no egress route: the agent cannot reach anything, not even its model's API "
                                  "(fine for a base meant only to be extended)",
                                  "add the routes the agent needs, e.g. {\"host\": \"api.anthropic.com\", \"ports\": [443]}",
                                  boost::json::object{{"file", m.origin_of_bottle(name)},
                                                      {"pointer", "/bottles/" + name},
                                                      {"lineage", lineage}}});
        }
        for (const auto& [repo, gate] : spec->repos) {
            if (!gate.host_key.empty()) continue;
            o.findings.push_back({"manifest.git_gate_host_key_unpinned", report::severity::medium, subject,
                                  "git-gate repo \"" + repo + "\" (" + gate.url + ") has no host_key: the gate trusts whichever server "
                                  "answers for that host the first time, so a spoofed server could receive the pushes",
                                  "pin the server's key: \"host_key\": the line `ssh-keyscan HOST` prints, checked out of band",
                                  boost::json::object{{"file", m.origin_of_bottle(name)},
                                                      {"pointer", "/bottles/" + name + "/git-gate/repos/" + repo},
                                                      {"lineage", lineage}}});
        }
        for (const auto& route : spec->egress) {
            const auto origin = find_route_origin(m, spec->lineage, route.host);
            const boost::json::object base{{"file", origin.file}, {"pointer", origin.pointer}, {"lineage", lineage}};
            auto found = judge_route(route.host, route.ports, subject, base);
            o.findings.insert(o.findings.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
        }
    }
    sort_findings(o.findings);
    return o;
}

result<audit_outcome> audit_manifest_path(const std::filesystem::path& path) {
    auto m = manifest::load_manifest(path);
    if (!m) return m.error();
    return audit_bottles(*m, path.string());
}

}  // namespace bottle::audit
