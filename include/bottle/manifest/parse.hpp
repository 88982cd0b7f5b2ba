// bottle/manifest/parse.hpp — read manifests from text, a file or a directory.
//
// A manifest is `{"bottles": {...}, "agents": {...}}` (both optional). A
// directory manifest is every `*.json` regular file in it (names starting with
// "." are skipped), read in byte order of their names and combined; a bottle or
// agent defined in two files is an error naming both. Loading is all or
// nothing: every raw definition is checked against the schema, every bottle
// must resolve (extends known, no cycle, depth within the limit, the resolved
// result valid) and every agent's bottles must exist; the first problem is
// returned with the file and JSON pointer it concerns.
#pragma once

#include "bottle/manifest/agent_md.hpp"
#include "bottle/manifest/model.hpp"
#include "bottle/manifest/resolve.hpp"
#include "bottle/manifest/schema.hpp"
#include "bottle/manifest/strict_json.hpp"
#include "bottle/result.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bottle::manifest {

/// Parses one manifest file's text (`source` names it in errors) and checks
/// every definition's schema; references to other bottles are not checked
/// here (they may live in another file of a directory): see check_manifest.
/// Errors: parse_error, limit_exceeded. Never throws.
[[nodiscard]] inline result<manifest> parse_manifest(std::string_view text, std::string_view source, const limits& lim = {}) noexcept {
    try {
        auto doc = parse_strict_json(text, source, lim);
        if (!doc) return doc.error();
        const std::string src(source);
        const detail::schema_ctx c{src, lim, bottle_form::raw};
        if (!doc->is_object()) return detail::wrong_type(c, "", "an object {\"bottles\": ..., \"agents\": ...}", *doc);
        const auto& top = doc->get_object();
        if (auto r = detail::only_keys(c, "", top, {"bottles", "agents"}); !r) return r.error();
        manifest out;
        if (const auto* b = top.if_contains("bottles")) {
            if (!b->is_object()) return detail::wrong_type(c, "/bottles", "an object of bottles", *b);
            if (b->get_object().size() > lim.max_bottles) return c.too_many("/bottles", "max_bottles", lim.max_bottles);
            for (const auto& m : b->get_object()) {
                const std::string p = detail::pointer_join("/bottles", m.key());
                if (!is_valid_name(m.key())) return c.fail(p, "invalid bottle name (1-63 of A-Z a-z 0-9 . _ -, starting with a letter or digit)");
                if (auto r = validate_bottle(m.value(), src, p, bottle_form::raw, lim); !r) return r.error();
                out.bottle_origin.emplace(std::string(m.key()), src);
            }
            out.bottles = b->get_object();
        }
        if (const auto* a = top.if_contains("agents")) {
            if (!a->is_object()) return detail::wrong_type(c, "/agents", "an object of agents", *a);
            if (a->get_object().size() > lim.max_agents) return c.too_many("/agents", "max_agents", lim.max_agents);
            for (const auto& m : a->get_object()) {
                const std::string p = detail::pointer_join("/agents", m.key());
                if (!is_valid_name(m.key())) return c.fail(p, "invalid agent name (1-63 of A-Z a-z 0-9 . _ -, starting with a letter or digit)");
                if (auto r = validate_agent(m.value(), src, p, lim); !r) return r.error();
                out.agent_origin.emplace(std::string(m.key()), src);
            }
            out.agents = a->get_object();
        }
        return out;
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, std::string(source) + ": out of memory");
    } catch (const std::exception& e) {
        return make_error(errc::internal, std::string(source) + ": unexpected error: " + e.what());
    }
}

/// Adds `part` to `into`. Errors: conflict when a bottle or agent is defined
/// in both (the message names both files), limit_exceeded on the totals.
[[nodiscard]] inline result<void> combine_manifests(manifest& into, const manifest& part, const limits& lim = {}) noexcept {
    try {
        for (const auto& m : part.bottles)
            if (into.bottles.contains(m.key()))
                return make_error(errc::conflict, "bottle \"" + std::string(m.key()) + "\" is defined twice: in " +
                                                      into.origin_of_bottle(m.key()) + " and in " + part.origin_of_bottle(m.key()));
        for (const auto& m : part.agents)
            if (into.agents.contains(m.key()))
                return make_error(errc::conflict, "agent \"" + std::string(m.key()) + "\" is defined twice: in " +
                                                      into.origin_of_agent(m.key()) + " and in " + part.origin_of_agent(m.key()));
        if (into.bottles.size() + part.bottles.size() > lim.max_bottles)
            return make_error(errc::limit_exceeded, "manifest: " + detail::limit_text("max_bottles", lim.max_bottles));
        if (into.agents.size() + part.agents.size() > lim.max_agents)
            return make_error(errc::limit_exceeded, "manifest: " + detail::limit_text("max_agents", lim.max_agents));
        for (const auto& m : part.bottles) {
            into.bottles.emplace(m.key(), m.value());
            into.bottle_origin[std::string(m.key())] = part.origin_of_bottle(m.key());
        }
        for (const auto& m : part.agents) {
            into.agents.emplace(m.key(), m.value());
            into.agent_origin[std::string(m.key())] = part.origin_of_agent(m.key());
        }
        return {};
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, "manifest: out of memory");
    }
}

/// Cross-checks a whole manifest: every bottle resolves (see resolve.hpp) and
/// every agent's bottles exist. Returns the first problem found (bottles in
/// name order, then agents).
[[nodiscard]] inline result<void> check_manifest(const manifest& m, const limits& lim = {}) noexcept {
    try {
        for (const auto& b : m.bottles)
            if (auto r = resolve_bottle(m, b.key(), lim); !r) return r.error();
        for (const auto& a : m.agents) {
            const auto* ref = a.value().is_object() ? a.value().get_object().if_contains("bottle") : nullptr;
            if (!ref) continue;
            const std::string p = m.origin_of_agent(a.key()) + ": " + detail::pointer_join(detail::pointer_join("/agents", a.key()), "bottle");
            auto check = [&](const boost::json::value& n, const std::string& ptr) -> result<void> {
                if (!n.is_string() || !m.bottles.contains(n.get_string()))
                    return make_error(errc::not_found, ptr + ": unknown bottle " + boost::json::serialize(n));
                return {};
            };
            if (ref->is_array()) {
                for (std::size_t i = 0; i < ref->get_array().size(); ++i)
                    if (auto r = check(ref->get_array()[i], p + "/" + std::to_string(i)); !r) return r;
            } else if (auto r = check(*ref, p); !r) {
                return r;
            }
        }
        return {};
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, "manifest: out of memory");
    } catch (const std::exception& e) {
        return make_error(errc::internal, std::string("manifest: unexpected error: ") + e.what());
    }
}

namespace detail {

inline result<manifest> read_manifest_file(const std::filesystem::path& path, const limits& lim) {
    const std::string src = path.string();
    std::error_code ec;
    auto st = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(st)) return make_error(errc::not_found, src + ": cannot read manifest: no such file");
    if (!std::filesystem::is_regular_file(st)) return make_error(errc::invalid_argument, src + ": not a regular file");
    auto size = std::filesystem::file_size(path, ec);
    if (ec) return make_error(errc::io_error, src + ": cannot read manifest: " + ec.message());
    if (size > lim.max_file_bytes)
        return make_error(errc::limit_exceeded, src + ": " + limit_text("max_file_bytes", lim.max_file_bytes) + " (" + std::to_string(size) +
                                                    " bytes); split the manifest into a directory of files");
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(errc::io_error, src + ": cannot open manifest for reading");
    std::string text = read_at_most(in, lim.max_file_bytes);  // one byte more reveals a file that grew
    if (in.bad()) return make_error(errc::io_error, src + ": read failed");
    return parse_manifest(text, src, lim);
}

}  // namespace detail

/// Loads one manifest file and checks it whole (check_manifest).
/// Errors: not_found, io_error, limit_exceeded, parse_error, conflict. Never throws.
[[nodiscard]] inline result<manifest> load_manifest_file(const std::filesystem::path& path, const limits& lim = {}) noexcept {
    try {
        auto m = detail::read_manifest_file(path, lim);
        if (!m) return m.error();
        if (auto r = check_manifest(*m, lim); !r) return r.error();
        return m;
    } catch (const std::exception& e) {
        return make_error(errc::internal, path.string() + ": unexpected error: " + e.what());
    }
}

/// Loads every `*.json` file of `dir` (sorted by name, dot-files skipped) and
/// every markdown agent (`*.md` at the top of `dir` or in `dir`/agents, each an
/// agent named after its file), combines them and checks the result. A name
/// defined twice is a conflict naming both files. A directory without
/// manifest or agent files is an error (not_found), never an empty manifest.
/// Never throws.
[[nodiscard]] inline result<manifest> load_manifest_directory(const std::filesystem::path& dir, const limits& lim = {}) noexcept {
    try {
        std::error_code ec;
        std::vector<std::filesystem::path> files, agents;
        auto scan = [&](const std::filesystem::path& d, bool json) -> result<void> {
            for (std::filesystem::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec)) {
                const auto name = it->path().filename().string();
                if (name.empty() || name.front() == '.') continue;
                const auto ext = it->path().extension();
                if (json && ext == ".json") files.push_back(it->path());
                else if (ext == ".md") agents.push_back(it->path());
                else continue;
                if (files.size() + agents.size() > lim.max_files)
                    return make_error(errc::limit_exceeded, dir.string() + ": " + detail::limit_text("max_files", lim.max_files));
            }
            if (ec) return make_error(errc::io_error, d.string() + ": cannot list manifest directory: " + ec.message());
            return {};
        };
        auto by_name = [](const auto& a, const auto& b) { return a.string() < b.string(); };
        if (auto r = scan(dir, true); !r) return r.error();
        std::sort(files.begin(), files.end(), by_name);
        std::sort(agents.begin(), agents.end(), by_name);
        const auto top = static_cast<std::ptrdiff_t>(agents.size());
        if (std::filesystem::is_directory(dir / "agents", ec))
            if (auto r = scan(dir / "agents", false); !r) return r.error();
        ec.clear();
        std::sort(agents.begin() + top, agents.end(), by_name);  // top-level agents first, then agents/
        if (files.empty() && agents.empty())
            return make_error(errc::not_found, dir.string() + ": no *.json manifest files or *.md agents in this directory");
        manifest all;
        for (const auto& f : files) {
            auto part = detail::read_manifest_file(f, lim);
            if (!part) return part.error();
            if (auto r = combine_manifests(all, *part, lim); !r) return r.error();
        }
        for (const auto& f : agents) {
            auto part = load_agent_markdown(f, lim);
            if (!part) return part.error();
            if (auto r = combine_manifests(all, *part, lim); !r) return r.error();
        }
        if (auto r = check_manifest(all, lim); !r) return r.error();
        return all;
    } catch (const std::exception& e) {
        return make_error(errc::internal, dir.string() + ": unexpected error: " + e.what());
    }
}

/// load_manifest_directory for a directory, load_manifest_file otherwise.
[[nodiscard]] inline result<manifest> load_manifest(const std::filesystem::path& path, const limits& lim = {}) noexcept {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return load_manifest_directory(path, lim);
    return load_manifest_file(path, lim);
}

}  // namespace bottle::manifest
