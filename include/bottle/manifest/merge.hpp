// bottle/manifest/merge.hpp — the one merge rule set for bottles and agents.
//
// The same rules serve `extends` (parents first, the child last) and the
// runtime merge of several bottles chosen at launch (see resolve.hpp):
//   - scalars and plain lists (ports, command, ...): the later value wins;
//   - objects (env, resources, git-gate, git-gate.repos, a repo, its key):
//     deep merge by key;
//   - `egress`: union keyed by host (ASCII case-insensitive, one trailing dot
//     ignored); a later entry replaces the earlier one for the same host in
//     place; new hosts are appended (order = first appearance);
//   - `mounts`: the same, keyed by guest path;
//   - agent `skills`: ordered union (first appearance);
//   - a `null` value deletes the key (at any depth of a deep-merged object);
//   - `extends` is never inherited: the result has no `extends`.
// Entries of egress and mounts are replaced whole, never merged field by field.
#pragma once

#include "bottle/manifest/schema.hpp"
#include "bottle/result.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <unordered_map>

namespace bottle::manifest {

/// Which keyed-list rules apply at the top level.
enum class document_kind { bottle, agent };

namespace detail {

/// A copy of `v` with every null object member removed, recursively.
inline boost::json::value strip_nulls(const boost::json::value& v) {
    if (v.is_object()) {
        boost::json::object out;
        out.reserve(v.get_object().size());
        for (const auto& m : v.get_object())
            if (!m.value().is_null()) out.emplace(m.key(), strip_nulls(m.value()));
        return out;
    }
    return v;
}

/// Deep merge of plain objects: null deletes, objects recurse, anything else replaces.
inline void deep_merge_into(boost::json::object& out, const boost::json::object& overlay) {
    for (const auto& m : overlay) {
        if (m.value().is_null()) {
            out.erase(m.key());
            continue;
        }
        auto* existing = out.if_contains(m.key());
        if (existing && existing->is_object() && m.value().is_object()) deep_merge_into(existing->get_object(), m.value().get_object());
        else out[m.key()] = strip_nulls(m.value());
    }
}

/// How a keyed list names its elements; empty `field` means the element itself (a string).
struct list_key {
    std::string_view field;
    bool fold_host = false;
};

inline result<std::string> element_key(const boost::json::value& e, list_key k, std::string_view list) {
    const boost::json::value* key = &e;
    if (!k.field.empty()) {
        key = e.is_object() ? e.get_object().if_contains(k.field) : nullptr;
        if (!key) return make_error(errc::invalid_argument, "merge: an element of \"" + std::string(list) + "\" has no \"" + std::string(k.field) + "\"");
    }
    if (!key->is_string()) return make_error(errc::invalid_argument, "merge: an element key of \"" + std::string(list) + "\" is not a string");
    return k.fold_host ? host_key(key->get_string()) : std::string(key->get_string());
}

/// Keyed union: later entries replace earlier ones with the same key in place; new keys append.
inline result<boost::json::array> keyed_union(const boost::json::value* base, const boost::json::value& overlay, list_key k,
                                              std::string_view list) {
    if (!overlay.is_array()) return make_error(errc::invalid_argument, "merge: \"" + std::string(list) + "\" is not a list");
    boost::json::array out;
    std::unordered_map<std::string, std::size_t> index;
    auto add = [&](const boost::json::value& e) -> result<void> {
        auto key = element_key(e, k, list);
        if (!key) return key.error();
        auto [it, fresh] = index.emplace(std::move(*key), out.size());
        if (fresh) out.push_back(e);
        else out[it->second] = e;
        return {};
    };
    if (base && base->is_array()) {
        out.reserve(base->get_array().size() + overlay.get_array().size());
        for (const auto& e : base->get_array())
            if (auto r = add(e); !r) return r.error();
    }
    for (const auto& e : overlay.get_array())
        if (auto r = add(e); !r) return r.error();
    return out;
}

}  // namespace detail

/// Merges `overlay` onto `base` by the rules above and returns the result
/// (neither input changes). Inputs are expected to have passed validation;
/// a keyed list whose elements lack their key is an invalid_argument error
/// rather than a guess. Never throws (allocation failure becomes an error).
[[nodiscard]] inline result<boost::json::object> merge_documents(const boost::json::object& base, const boost::json::object& overlay,
                                                                 document_kind kind) noexcept {
    try {
        boost::json::object out = base;
        out.erase("extends");
        for (const auto& m : overlay) {
            const std::string_view key = m.key();
            if (kind == document_kind::bottle && key == "extends") continue;
            if (m.value().is_null()) {
                out.erase(key);
                continue;
            }
            detail::list_key lk;
            bool keyed = false;
            if (kind == document_kind::bottle && key == "egress") lk = {"host", true}, keyed = true;
            else if (kind == document_kind::bottle && key == "mounts") lk = {"guest", false}, keyed = true;
            else if (kind == document_kind::agent && key == "skills") lk = {"", false}, keyed = true;
            if (keyed) {
                auto merged = detail::keyed_union(out.if_contains(key), m.value(), lk, key);
                if (!merged) return merged.error();
                out[key] = std::move(*merged);
                continue;
            }
            auto* existing = out.if_contains(key);
            if (existing && existing->is_object() && m.value().is_object()) detail::deep_merge_into(existing->get_object(), m.value().get_object());
            else out[key] = detail::strip_nulls(m.value());
        }
        return out;
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, "merge: out of memory");
    } catch (const std::exception& e) {
        return make_error(errc::internal, std::string("merge: unexpected error: ") + e.what());
    }
}

/// merge_documents for bottles: egress by host, mounts by guest.
[[nodiscard]] inline result<boost::json::object> merge_bottle(const boost::json::object& base, const boost::json::object& overlay) noexcept {
    return merge_documents(base, overlay, document_kind::bottle);
}

/// merge_documents for agents: skills as an ordered union.
[[nodiscard]] inline result<boost::json::object> merge_agent(const boost::json::object& base, const boost::json::object& overlay) noexcept {
    return merge_documents(base, overlay, document_kind::agent);
}

}  // namespace bottle::manifest
