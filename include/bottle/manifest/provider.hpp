// bottle/manifest/provider.hpp — provider templates: what an agent without
// its own `command` runs, the routes it needs, how its credentials reach it.
//
// Templates are data, not code: `share/providers/<name>.json` in the source
// tree, installed to PREFIX/share/bot-bottle/providers. One strict JSON object
// per provider (unknown keys refused, like manifests):
//   {"description": "...", "command": [...], "image": "claude",
//    "egress": [{host, ports?}...], "env": {...},
//    "credentials": {"kind": "env_token" | "login_file", ...}}
// Credentials are planned by credentials.hpp. Directory lookup:
// provider_dirs() / find_providers_dir(). See docs/agents.md.
#pragma once

#include "bottle/manifest/model.hpp"
#include "bottle/manifest/schema.hpp"
#include "bottle/manifest/strict_json.hpp"
#include "bottle/result.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::manifest {

/// The provider an agent without `provider` uses.
inline constexpr std::string_view default_provider = "claude";

/// How a provider's credentials reach the agent.
struct credential_spec {
    enum class kind_t { env_token, login_file } kind = kind_t::env_token;
    // env_token: the host variable `host_env` is passed as `agent_env`.
    std::string host_env, agent_env;
    // login_file: opt-in (`opt_in_env`=1) forwarding of `file` in the host
    // directory ($`host_dir_env`, else `host_dir`, "~" = $HOME) to
    // `agent_path` under the agent's HOME.
    std::string opt_in_env, host_dir_env, host_dir, file, agent_path;
    std::string remedy;  ///< what a user does when the credential is missing
};

/// One provider template.
struct provider {
    std::string name;                             ///< file stem: claude.json -> "claude"
    std::string source;                           ///< the file it came from
    std::string description;
    std::vector<std::string> command;             ///< never empty
    std::string image;                            ///< container image recipe name (docker/smolmachines backends)
    boost::json::array egress;                    ///< routes the agent needs, in the bottle's egress form
    std::map<std::string, std::string> env;       ///< set in the agent (not secrets)
    credential_spec credentials;
};

using provider_set = std::map<std::string, provider, std::less<>>;

namespace detail {

inline result<std::string> required_string(const schema_ctx& c, const boost::json::object& o, std::string_view pointer, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v) return c.fail(pointer, "missing required key \"" + std::string(key) + "\"");
    if (auto r = check_string(c, pointer_join(pointer, key), *v); !r) return r.error();
    return std::string(v->get_string());
}

inline result<credential_spec> parse_credentials(const schema_ctx& c, const boost::json::value& v) {
    const std::string p = "/credentials";
    if (!v.is_object()) return wrong_type(c, p, "an object {kind, ...}", v);
    const auto& o = v.get_object();
    auto kind = required_string(c, o, p, "kind");
    if (!kind) return kind.error();
    credential_spec s;
    auto get = [&](std::string_view key, std::string& out) -> result<void> {
        auto r = required_string(c, o, p, key);
        if (!r) return r.error();
        out = std::move(*r);
        return {};
    };
    result<void> r;
    if (*kind == "env_token") {
        s.kind = credential_spec::kind_t::env_token;
        if (r = only_keys(c, p, o, {"kind", "host_env", "agent_env", "remedy"}); !r) return r.error();
        for (auto [k, out] : {std::pair{"host_env", &s.host_env}, {"agent_env", &s.agent_env}, {"remedy", &s.remedy}})
            if (r = get(k, *out); !r) return r.error();
    } else if (*kind == "login_file") {
        s.kind = credential_spec::kind_t::login_file;
        if (r = only_keys(c, p, o, {"kind", "opt_in_env", "host_dir_env", "host_dir", "file", "agent_path", "remedy"}); !r) return r.error();
        for (auto [k, out] : {std::pair{"opt_in_env", &s.opt_in_env}, {"host_dir_env", &s.host_dir_env}, {"host_dir", &s.host_dir},
                              {"file", &s.file}, {"agent_path", &s.agent_path}, {"remedy", &s.remedy}})
            if (r = get(k, *out); !r) return r.error();
        if (s.file.find('/') != std::string::npos || s.file == "." || s.file == "..")
            return c.fail(p + "/file", "must be a file name, not a path");
        const std::string ap = "/" + s.agent_path;  // relative to the agent's HOME: clean, no ".."
        if (s.agent_path.front() == '/' || !is_clean_absolute_path(ap)) return c.fail(p + "/agent_path", "must be a clean path relative to HOME");
    } else {
        return c.fail(p + "/kind", "unknown credential kind \"" + *kind + "\" (expected env_token or login_file)");
    }
    return s;
}

}  // namespace detail

/// Parses one template's text. `name` is the provider's name (the file stem),
/// `source` names the file in errors. Strict: unknown keys, duplicates, wrong
/// types are errors with the JSON pointer. Never throws.
[[nodiscard]] inline result<provider> parse_provider(std::string_view text, std::string_view name, std::string_view source,
                                                     const limits& lim = {}) noexcept {
    try {
        const std::string src(source);
        const detail::schema_ctx c{src, lim, bottle_form::resolved};
        if (!is_valid_name(name)) return c.fail("", "invalid provider name \"" + std::string(name) + "\"");
        auto doc = parse_strict_json(text, source, lim);
        if (!doc) return doc.error();
        if (!doc->is_object()) return detail::wrong_type(c, "", "a provider object", *doc);
        const auto& o = doc->get_object();
        if (auto r = detail::only_keys(c, "", o, {"description", "command", "image", "egress", "env", "credentials"}); !r) return r.error();
        provider p;
        p.name = std::string(name);
        p.source = src;
        if (const auto* d = o.if_contains("description")) {
            if (auto r = detail::check_string(c, "/description", *d, false); !r) return r.error();
            p.description = std::string(d->get_string());
        }
        const auto* cmd = o.if_contains("command");
        if (!cmd) return c.fail("", "missing required key \"command\"");
        if (!cmd->is_array()) return detail::wrong_type(c, "/command", "a list of strings", *cmd);
        if (cmd->get_array().empty()) return c.fail("/command", "must not be an empty list");
        if (cmd->get_array().size() > lim.max_list) return c.too_many("/command", "max_list", lim.max_list);
        for (std::size_t i = 0; i < cmd->get_array().size(); ++i)  // arguments may repeat; the program must not be empty
            if (auto r = detail::check_string(c, detail::pointer_join("/command", i), cmd->get_array()[i], i == 0); !r) return r.error();
        for (const auto& a : cmd->get_array()) p.command.emplace_back(a.get_string());
        auto image = detail::required_string(c, o, "", "image");
        if (!image) return image.error();
        if (!is_valid_name(*image)) return c.fail("/image", "invalid image recipe name \"" + *image + "\"");
        p.image = std::move(*image);
        const auto* eg = o.if_contains("egress");
        if (!eg) return c.fail("", "missing required key \"egress\"");
        if (auto r = detail::check_egress(c, "/egress", *eg); !r) return r.error();
        p.egress = eg->get_array();
        if (const auto* e = o.if_contains("env")) {
            if (auto r = detail::check_env(c, "/env", *e); !r) return r.error();
            for (const auto& m : e->get_object()) p.env.emplace(std::string(m.key()), std::string(m.value().get_string()));
        }
        const auto* cr = o.if_contains("credentials");
        if (!cr) return c.fail("", "missing required key \"credentials\"");
        auto creds = detail::parse_credentials(c, *cr);
        if (!creds) return creds.error();
        p.credentials = std::move(*creds);
        return p;
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, std::string(source) + ": out of memory");
    } catch (const std::exception& e) {
        return make_error(errc::internal, std::string(source) + ": unexpected error: " + e.what());
    }
}

/// Loads every `*.json` in `dir` as a template named after its file. A
/// directory without templates is not_found; any bad template fails the load.
[[nodiscard]] inline result<provider_set> load_providers(const std::filesystem::path& dir, const limits& lim = {}) noexcept {
    try {
        std::error_code ec;
        std::vector<std::filesystem::path> files;
        for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            const auto name = it->path().filename().string();
            if (name.empty() || name.front() == '.' || it->path().extension() != ".json") continue;
            files.push_back(it->path());
            if (files.size() > lim.max_files) return make_error(errc::limit_exceeded, dir.string() + ": " + detail::limit_text("max_files", lim.max_files));
        }
        if (ec) return make_error(errc::io_error, dir.string() + ": cannot list provider templates: " + ec.message());
        if (files.empty()) return make_error(errc::not_found, dir.string() + ": no *.json provider templates in this directory");
        std::sort(files.begin(), files.end());
        provider_set out;
        for (const auto& f : files) {
            std::ifstream in(f, std::ios::binary);
            if (!in) return make_error(errc::io_error, f.string() + ": cannot open provider template");
            std::string text = detail::read_at_most(in, lim.max_file_bytes);
            if (in.bad()) return make_error(errc::io_error, f.string() + ": read failed");
            if (text.size() > lim.max_file_bytes) return make_error(errc::limit_exceeded, f.string() + ": " + detail::limit_text("max_file_bytes", lim.max_file_bytes));
            auto p = parse_provider(text, f.stem().string(), f.string(), lim);
            if (!p) return p.error();
            out.emplace(p->name, std::move(*p));
        }
        return out;
    } catch (const std::exception& e) {
        return make_error(errc::internal, dir.string() + ": unexpected error: " + e.what());
    }
}

/// Where templates are looked for, in order (the escape harness finds its
/// installed profiles the same way): $BOT_BOTTLE_PROVIDERS when set and not
/// empty (then only it), the installed data directory next to the binary
/// (`exe_dir`/../share/bot-bottle/providers), the source tree's
/// share/providers (`source_dir` empty: skipped). Pure.
[[nodiscard]] inline std::vector<std::filesystem::path> provider_dirs(std::optional<std::string_view> env_override,
                                                                      const std::filesystem::path& exe_dir,
                                                                      const std::filesystem::path& source_dir) {
    if (env_override && !env_override->empty()) return {std::filesystem::path(*env_override)};
    std::vector<std::filesystem::path> out{exe_dir.parent_path() / "share" / "bot-bottle" / "providers"};
    if (!source_dir.empty()) out.push_back(source_dir / "share" / "providers");
    return out;
}

/// The first of `dirs` for which `is_dir` holds; not_found listing them all.
[[nodiscard]] inline result<std::filesystem::path> find_providers_dir(const std::vector<std::filesystem::path>& dirs,
                                                                      const std::function<bool(const std::filesystem::path&)>& is_dir) {
    std::string tried;
    for (const auto& d : dirs) {
        if (is_dir(d)) return d;
        tried += (tried.empty() ? "" : ", ") + d.string();
    }
    return make_error(errc::not_found, "no provider templates found (looked in: " + (tried.empty() ? std::string("nothing") : tried) +
                                           "); set BOT_BOTTLE_PROVIDERS to their directory");
}

}  // namespace bottle::manifest
