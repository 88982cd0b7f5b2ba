// bottle/manifest/schema.hpp — the strict schema of bottles and agents.
//
// Every bottle is checked twice: its raw definition as written (where `null`
// may stand for "delete the inherited key" and `extends` may appear) and the
// resolved result (no nulls, no `extends`, every required field present). An
// unknown key, a wrong type or an out-of-range value is an error naming the
// file and the JSON pointer, e.g.
//   dev.json: /bottles/dev/egress/0/hots: unknown key "hots"
// Counts are bounded by `limits` and the error names the limit.
#pragma once

#include "bottle/manifest/model.hpp"
#include "bottle/policy/host_key.hpp"
#include "bottle/result.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <unordered_set>
#include <string>
#include <string_view>
#include <type_traits>

namespace bottle::manifest {

/// Which stage a bottle is checked at.
enum class bottle_form {
    raw,       ///< as written: nulls allowed at merge positions, `extends` allowed, repo fields optional
    resolved,  ///< after merging: no nulls, no `extends`, repos complete
};

namespace detail {

struct schema_ctx {
    std::string source;
    const limits& lim;
    bottle_form form;

    [[nodiscard]] error fail(std::string_view pointer, std::string_view msg, errc code = errc::parse_error) const {
        return make_error(code, source + ": " + std::string(pointer.empty() ? "/" : pointer) + ": " + std::string(msg));
    }
    [[nodiscard]] error too_many(std::string_view pointer, std::string_view limit, std::size_t value) const {
        return fail(pointer, limit_text(limit, value), errc::limit_exceeded);
    }
};

inline const char* kind_name(const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::null: return "null";
        case boost::json::kind::bool_: return "a boolean";
        case boost::json::kind::int64:
        case boost::json::kind::uint64:
        case boost::json::kind::double_: return "a number";
        case boost::json::kind::string: return "a string";
        case boost::json::kind::array: return "a list";
        case boost::json::kind::object: return "an object";
    }
    return "an unknown value";
}

inline error wrong_type(const schema_ctx& c, std::string_view pointer, std::string_view want, const boost::json::value& got) {
    return c.fail(pointer, "expected " + std::string(want) + ", got " + kind_name(got));
}

/// A JSON pointer given as text or as a callable that builds it (so hot
/// loops build pointers only when they report an error).
template <class Pointer>
std::string pointer_text(const Pointer& p) {
    if constexpr (std::is_invocable_v<const Pointer&>) return p();
    else return std::string(p);
}

/// Rejects members of `o` whose key is not in `known`.
template <class Pointer>
result<void> only_keys(const schema_ctx& c, const Pointer& pointer, const boost::json::object& o,
                       std::initializer_list<std::string_view> known) {
    for (const auto& m : o) {
        bool ok = false;
        for (auto k : known) ok = ok || (k == m.key());
        if (!ok) return c.fail(pointer_join(pointer_text(pointer), m.key()), "unknown key \"" + std::string(m.key()) + "\"");
    }
    return {};
}

inline bool has_control_or_space(std::string_view s) {
    for (unsigned char ch : s)
        if (ch <= 0x20 || ch == 0x7f) return true;
    return false;
}

template <class Pointer>
result<void> check_string(const schema_ctx& c, const Pointer& pointer, const boost::json::value& v, bool non_empty = true) {
    if (!v.is_string()) return wrong_type(c, pointer_text(pointer), "a string", v);
    if (non_empty && v.get_string().empty()) return c.fail(pointer_text(pointer), "must not be empty");
    if (v.get_string().find('\0') != boost::json::string::npos) return c.fail(pointer_text(pointer), "must not contain NUL");
    return {};
}

/// A bottle name or a list of bottle names (unique, each a valid name).
inline result<void> check_names(const schema_ctx& c, std::string_view pointer, const boost::json::value& v, bool allow_empty_list) {
    auto one = [&](std::string_view p, const boost::json::value& n) -> result<void> {
        if (!n.is_string()) return wrong_type(c, p, "a bottle name", n);
        if (!is_valid_name(n.get_string()))
            return c.fail(p, "invalid bottle name \"" + std::string(n.get_string()) + "\" (1-63 of A-Z a-z 0-9 . _ -, starting with a letter or digit)");
        return {};
    };
    if (v.is_string()) return one(pointer, v);
    if (!v.is_array()) return wrong_type(c, pointer, "a bottle name or a list of bottle names", v);
    const auto& a = v.get_array();
    if (a.empty() && !allow_empty_list) return c.fail(pointer, "must not be an empty list");
    if (a.size() > c.lim.max_list) return c.too_many(pointer, "max_list", c.lim.max_list);
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (auto r = one(pointer_join(pointer, i), a[i]); !r) return r;
        if (!seen.insert(a[i].get_string()).second)
            return c.fail(pointer_join(pointer, i), "\"" + std::string(a[i].get_string()) + "\" is listed twice");
    }
    return {};
}

inline result<void> check_unique_strings(const schema_ctx& c, std::string_view pointer, const boost::json::value& v, bool allow_empty) {
    if (!v.is_array()) return wrong_type(c, pointer, "a list of strings", v);
    const auto& a = v.get_array();
    if (a.empty() && !allow_empty) return c.fail(pointer, "must not be an empty list");
    if (a.size() > c.lim.max_list) return c.too_many(pointer, "max_list", c.lim.max_list);
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (auto r = check_string(c, pointer_join(pointer, i), a[i]); !r) return r;
        if (!seen.insert(a[i].get_string()).second)
            return c.fail(pointer_join(pointer, i), "\"" + std::string(a[i].get_string()) + "\" is listed twice");
    }
    return {};
}

/// The key egress entries are merged by (policy/host_key.hpp): ASCII-lowercase, one trailing dot dropped.
using policy::host_key;

/// The port number in `v`, or -1 when it is not an integer in 1..65535.
inline std::int64_t port_of(const boost::json::value& v) {
    if (const auto* n = v.if_int64()) return *n >= 1 && *n <= 65535 ? *n : -1;
    if (const auto* u = v.if_uint64()) return *u >= 1 && *u <= 65535 ? static_cast<std::int64_t>(*u) : -1;
    return -1;
}

inline result<void> check_egress(const schema_ctx& c, std::string_view pointer, const boost::json::value& v) {
    if (!v.is_array()) return wrong_type(c, pointer, "a list of {host, ports}", v);
    const auto& a = v.get_array();
    if (a.size() > c.lim.max_routes) return c.too_many(pointer, "max_routes", c.lim.max_routes);
    std::unordered_set<std::string> hosts;
    hosts.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto p = [&] { return pointer_join(pointer, i); };  // built only on error
        if (!a[i].is_object()) return wrong_type(c, p(), "an object {host, ports}", a[i]);
        const auto& e = a[i].get_object();
        if (auto r = only_keys(c, p, e, {"host", "ports", "tls"}); !r) return r;
        const auto* host = e.if_contains("host");
        if (!host) return c.fail(p(), "missing required key \"host\"");
        if (auto r = check_string(c, [&] { return pointer_join(p(), "host"); }, *host); !r) return r;
        const auto& h = host->get_string();
        if (h.size() > 253 || has_control_or_space(h) || h.find('/') != boost::json::string::npos)
            return c.fail(pointer_join(p(), "host"), "\"" + std::string(h) + "\" is not a host name, wildcard or address");
        if (!hosts.insert(host_key(h)).second) return c.fail(pointer_join(p(), "host"), "host \"" + std::string(h) + "\" is listed twice");
        if (const auto* ports = e.if_contains("ports")) {
            auto pp = [&] { return pointer_join(p(), "ports"); };
            if (!ports->is_array()) return wrong_type(c, pp(), "a list of port numbers", *ports);
            const auto& pa = ports->get_array();
            if (pa.empty()) return c.fail(pp(), "must not be empty; omit \"ports\" for the default ports");
            if (pa.size() > c.lim.max_ports) return c.too_many(pp(), "max_ports", c.lim.max_ports);
            for (std::size_t j = 0; j < pa.size(); ++j) {  // lists are short (max_ports): compare pairwise, no allocation
                const std::int64_t port = port_of(pa[j]);
                if (port < 0) return c.fail(pointer_join(pp(), j), "expected a port number 1..65535");
                for (std::size_t i2 = 0; i2 < j; ++i2)
                    if (port_of(pa[i2]) == port) return c.fail(pointer_join(pp(), j), "port " + std::to_string(port) + " is listed twice");
            }
        }
        // "tls": false lets the route's CONNECT tunnels carry non-TLS bytes (ssh
        // to a git host): a weakening, so only for one exact host and the
        // ports it names.
        if (const auto* tls = e.if_contains("tls")) {
            auto tp = [&] { return pointer_join(p(), "tls"); };
            if (!tls->is_bool()) return wrong_type(c, tp(), "true or false", *tls);
            if (!tls->get_bool()) {
                if (!e.contains("ports")) return c.fail(tp(), "a route with \"tls\": false must list its \"ports\"");
                if (h.starts_with("*")) return c.fail(tp(), "\"tls\": false needs an exact host, not the wildcard \"" + std::string(h) + "\"");
            }
        }
    }
    return {};
}

/// An absolute path without empty, "." or ".." components or a trailing slash.
inline bool is_clean_absolute_path(std::string_view p) {
    if (p.empty() || p.front() != '/') return false;
    if (p == "/") return true;
    if (p.back() == '/') return false;
    std::size_t start = 1;
    while (start <= p.size()) {
        std::size_t end = p.find('/', start);
        if (end == std::string_view::npos) end = p.size();
        std::string_view part = p.substr(start, end - start);
        if (part.empty() || part == "." || part == "..") return false;
        start = end + 1;
    }
    return true;
}

inline result<void> check_mounts(const schema_ctx& c, std::string_view pointer, const boost::json::value& v) {
    if (!v.is_array()) return wrong_type(c, pointer, "a list of {host, guest, mode}", v);
    const auto& a = v.get_array();
    if (a.size() > c.lim.max_mounts) return c.too_many(pointer, "max_mounts", c.lim.max_mounts);
    std::set<std::string_view> guests;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto p = [&] { return pointer_join(pointer, i); };  // built only on error
        if (!a[i].is_object()) return wrong_type(c, p(), "an object {host, guest, mode}", a[i]);
        const auto& m = a[i].get_object();
        if (auto r = only_keys(c, p, m, {"host", "guest", "mode"}); !r) return r;
        for (std::string_view k : {"host", "guest", "mode"}) {
            const auto* f = m.if_contains(k);
            if (!f) return c.fail(p(), "missing required key \"" + std::string(k) + "\"");
            if (auto r = check_string(c, [&] { return pointer_join(p(), k); }, *f); !r) return r;
        }
        const auto& guest = m.at("guest").get_string();
        if (!is_clean_absolute_path(guest))
            return c.fail(pointer_join(p(), "guest"), "\"" + std::string(guest) + "\" is not a clean absolute path (no //, ., .. or trailing /)");
        if (!guests.insert(guest).second) return c.fail(pointer_join(p(), "guest"), "guest path \"" + std::string(guest) + "\" is mounted twice");
        const auto& mode = m.at("mode").get_string();
        if (mode != "ro" && mode != "rw") return c.fail(pointer_join(p(), "mode"), "expected \"ro\" or \"rw\", got \"" + std::string(mode) + "\"");
    }
    return {};
}

/// Raw form: a null member means "delete"; resolved form: nulls are errors.
inline bool null_ok(const schema_ctx& c, const boost::json::value& v) { return v.is_null() && c.form == bottle_form::raw; }

inline result<void> check_env(const schema_ctx& c, std::string_view pointer, const boost::json::value& v) {
    if (!v.is_object()) return wrong_type(c, pointer, "an object of strings", v);
    const auto& o = v.get_object();
    if (o.size() > c.lim.max_env) return c.too_many(pointer, "max_env", c.lim.max_env);
    for (const auto& m : o) {
        const std::string p = pointer_join(pointer, m.key());
        if (m.key().empty() || m.key().find('=') != boost::json::string_view::npos || m.key().find('\0') != boost::json::string_view::npos)
            return c.fail(p, "invalid environment variable name");
        if (null_ok(c, m.value())) continue;
        if (auto r = check_string(c, p, m.value(), false); !r) return r;
    }
    return {};
}

inline result<void> check_resources(const schema_ctx& c, std::string_view pointer, const boost::json::value& v) {
    if (!v.is_object()) return wrong_type(c, pointer, "an object {cpus, memory_mib, pids, disk_mib}", v);
    const auto& o = v.get_object();
    if (auto r = only_keys(c, pointer, o, {"cpus", "memory_mib", "pids", "disk_mib"}); !r) return r;
    for (const auto& m : o) {
        if (null_ok(c, m.value())) continue;
        const auto* n = m.value().if_int64();
        const auto* u = m.value().if_uint64();
        bool ok = (n && *n >= 1 && *n <= 2147483647) || (u && *u >= 1 && *u <= 2147483647u);
        if (!ok) return c.fail(pointer_join(pointer, m.key()), "expected a positive integer 1..2147483647");
    }
    return {};
}

inline result<void> check_repo(const schema_ctx& c, std::string_view pointer, const boost::json::value& v) {
    if (!v.is_object()) return wrong_type(c, pointer, "an object {url, key, host_key}", v);
    const auto& o = v.get_object();
    if (auto r = only_keys(c, pointer, o, {"url", "key", "host_key"}); !r) return r;
    for (const auto& m : o) {
        const std::string p = pointer_join(pointer, m.key());
        if (null_ok(c, m.value())) continue;
        if (m.key() != "key") {
            if (auto r = check_string(c, p, m.value()); !r) return r;
            continue;
        }
        if (!m.value().is_object()) return wrong_type(c, p, "an object {provider, ...}", m.value());
        const auto& k = m.value().get_object();
        if (auto r = only_keys(c, p, k, {"provider", "path", "forge_token_env"}); !r) return r;
        for (const auto& km : k) {
            if (null_ok(c, km.value())) continue;
            if (auto r = check_string(c, pointer_join(p, km.key()), km.value()); !r) return r;
        }
        const auto* prov = k.if_contains("provider");
        if (prov && prov->is_string() && prov->get_string() != "static" && prov->get_string() != "gitea")
            return c.fail(pointer_join(p, "provider"), "unknown git-gate key provider \"" + std::string(prov->get_string()) + "\" (expected static or gitea)");
        if (const auto* env = k.if_contains("forge_token_env"); env && env->is_string())
            if (env->get_string().find('=') != boost::json::string::npos || has_control_or_space(env->get_string()))
                return c.fail(pointer_join(p, "forge_token_env"), "invalid environment variable name");
        if (c.form == bottle_form::resolved) {
            // static {path}: a deploy key file; gitea {forge_token_env}: a key minted through the forge's API with that token.
            if (!prov) return c.fail(p, "missing required key \"provider\"");
            const bool is_static = prov->get_string() == "static";
            const std::string_view need = is_static ? "path" : "forge_token_env", other = is_static ? "forge_token_env" : "path";
            if (!k.contains(need)) return c.fail(p, "missing required key \"" + std::string(need) + "\" (key provider " + std::string(prov->get_string()) + ")");
            if (k.contains(other))
                return c.fail(pointer_join(p, other), "not used by key provider " + std::string(prov->get_string()) + "; set it to null where the provider changes");
        }
    }
    if (c.form == bottle_form::resolved)  // host_key is optional: bottle-audit warns when it is not pinned
        for (std::string_view req : {"url", "key"})
            if (!o.contains(req)) return c.fail(pointer, "missing required key \"" + std::string(req) + "\"");
    return {};
}

inline result<void> check_git_gate(const schema_ctx& c, std::string_view pointer, const boost::json::value& v) {
    if (!v.is_object()) return wrong_type(c, pointer, "an object {repos}", v);
    const auto& o = v.get_object();
    if (auto r = only_keys(c, pointer, o, {"repos"}); !r) return r;
    const auto* repos = o.if_contains("repos");
    if (!repos || null_ok(c, *repos)) return {};
    const std::string rp = pointer_join(pointer, "repos");
    if (!repos->is_object()) return wrong_type(c, rp, "an object of repos", *repos);
    if (repos->get_object().size() > c.lim.max_repos) return c.too_many(rp, "max_repos", c.lim.max_repos);
    for (const auto& m : repos->get_object()) {
        const std::string p = pointer_join(rp, m.key());
        if (!is_valid_name(m.key())) return c.fail(p, "invalid repo name (1-63 of A-Z a-z 0-9 . _ -)");
        if (null_ok(c, m.value())) continue;
        if (auto r = check_repo(c, p, m.value()); !r) return r;
    }
    return {};
}

}  // namespace detail

/// Checks one bottle (`v`) found at `pointer` in `source` against the schema
/// for `form`. Errors: parse_error (unknown key, wrong type, bad value; the
/// message names source and JSON pointer), limit_exceeded (names the limit).
[[nodiscard]] inline result<void> validate_bottle(const boost::json::value& v, std::string_view source, std::string_view pointer,
                                                  bottle_form form, const limits& lim = {}) {
    const detail::schema_ctx c{std::string(source), lim, form};
    if (!v.is_object()) return detail::wrong_type(c, pointer, "a bottle object", v);
    const auto& o = v.get_object();
    if (auto r = detail::only_keys(c, pointer, o, {"extends", "egress", "env", "mounts", "resources", "git-gate", "supervise", "backend", "dockerfile"});
            !r)
        return r;
    for (const auto& m : o) {
        const std::string p = detail::pointer_join(pointer, m.key());
        const auto& val = m.value();
        const std::string_view key = m.key();
        if (key == "extends") {
            if (form == bottle_form::resolved) return c.fail(p, "a resolved bottle has no \"extends\"", errc::internal);
            if (auto r = detail::check_names(c, p, val, true); !r) return r;
            continue;
        }
        if (detail::null_ok(c, val)) continue;
        result<void> r;
        if (key == "egress") r = detail::check_egress(c, p, val);
        else if (key == "env") r = detail::check_env(c, p, val);
        else if (key == "mounts") r = detail::check_mounts(c, p, val);
        else if (key == "resources") r = detail::check_resources(c, p, val);
        else if (key == "git-gate") r = detail::check_git_gate(c, p, val);
        else if (key == "supervise") r = val.is_bool() ? result<void>() : result<void>(detail::wrong_type(c, p, "true or false", val));
        else if (key == "dockerfile") {
            r = detail::check_string(c, p, val);
            if (r && val.get_string().front() != '/' && val.get_string().rfind("~/", 0) != 0)
                r = c.fail(p, "\"" + std::string(val.get_string()) + "\" is not an absolute path or ~/path");
        } else if (key == "backend") {
            if (!val.is_string()) r = detail::wrong_type(c, p, "a backend name", val);
            else if (val.get_string() != "native" && val.get_string() != "docker" && val.get_string() != "smolmachines")
                r = c.fail(p, "unknown backend \"" + std::string(val.get_string()) + "\" (expected native, docker or smolmachines)");
        }
        if (!r) return r;
    }
    return {};
}

/// Checks one agent definition. `command` is optional (without it the
/// provider template's command is used) and non-empty; `provider` a name;
/// `bottle` is a name or a non-empty list of names; `skills` unique strings.
/// Errors as for validate_bottle. Agents are never merged in a manifest, so
/// null is a type error.
[[nodiscard]] inline result<void> validate_agent(const boost::json::value& v, std::string_view source, std::string_view pointer,
                                                 const limits& lim = {}) {
    const detail::schema_ctx c{std::string(source), lim, bottle_form::resolved};
    if (!v.is_object()) return detail::wrong_type(c, pointer, "an agent object", v);
    const auto& o = v.get_object();
    if (auto r = detail::only_keys(c, pointer, o, {"bottle", "command", "prompt", "provider", "skills"}); !r) return r;
    if (const auto* pv = o.if_contains("provider")) {
        const std::string pp = detail::pointer_join(pointer, "provider");
        if (!pv->is_string()) return detail::wrong_type(c, pp, "a provider name", *pv);
        if (!is_valid_name(pv->get_string())) return c.fail(pp, "invalid provider name \"" + std::string(pv->get_string()) + "\"");
    }
    if (const auto* b = o.if_contains("bottle"))
        if (auto r = detail::check_names(c, detail::pointer_join(pointer, "bottle"), *b, false); !r) return r;
    if (const auto* cmd = o.if_contains("command")) {
        const std::string cp = detail::pointer_join(pointer, "command");
        if (!cmd->is_array()) return detail::wrong_type(c, cp, "a list of strings", *cmd);
        const auto& args = cmd->get_array();
        if (args.empty()) return c.fail(cp, "must not be an empty list");
        if (args.size() > lim.max_list) return c.too_many(cp, "max_list", lim.max_list);
        for (std::size_t i = 0; i < args.size(); ++i)  // arguments may repeat ("-v -v"); the program must not be empty
            if (auto r = detail::check_string(c, detail::pointer_join(cp, i), args[i], i == 0); !r) return r;
    }
    if (const auto* p = o.if_contains("prompt"))
        if (auto r = detail::check_string(c, detail::pointer_join(pointer, "prompt"), *p, false); !r) return r;
    if (const auto* s = o.if_contains("skills"))
        if (auto r = detail::check_unique_strings(c, detail::pointer_join(pointer, "skills"), *s, true); !r) return r;
    return {};
}

}  // namespace bottle::manifest
