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

/// Keyed union in place: a later entry replaces the earlier one with the same
/// key where it stands; new keys are appended.
inline result<void> keyed_union_into(boost::json::value& target, const boost::json::value& overlay, list_key k, std::string_view list) {
    if (!overlay.is_array()) return make_error(errc::invalid_argument, "merge: \"" + std::string(list) + "\" is not a list");
    if (!target.is_array()) target = boost::json::array();
    boost::json::array& out = target.get_array();
    const auto& add = overlay.get_array();
    std::unordered_map<std::string, std::size_t> index;
    index.reserve(out.size() + add.size());
    out.reserve(out.size() + add.size());
    // Index the base (validated bases have unique keys; for a duplicate the first wins the slot).
    for (std::size_t i = 0; i < out.size(); ++i) {
        auto key = element_key(out[i], k, list);
        if (!key) return key.error();
        index.emplace(std::move(*key), i);
    }
    for (const auto& e : add) {
        auto key = element_key(e, k, list);
        if (!key) return key.error();
        auto [it, fresh] = index.emplace(std::move(*key), out.size());
        if (fresh) out.push_back(e);
        else out[it->second] = e;
    }
    return {};
}

}  // namespace detail

/// Merges `overlay` into `acc` in place by the rules above (the fast path
/// of a fold). On error `acc` is left partly merged and must be discarded.
[[nodiscard]] inline result<void> merge_into(boost::json::object& acc, const boost::json::object& overlay, document_kind kind) noexcept {
    try {
        acc.erase("extends");
        for (const auto& m : overlay) {
            const std::string_view key = m.key();
            if (kind == document_kind::bottle && key == "extends") continue;
            if (m.value().is_null()) {
                acc.erase(key);
                continue;
            }
            detail::list_key lk;
            bool keyed = false;
            if (kind == document_kind::bottle && key == "egress") lk = {"host", true}, keyed = true;
            else if (kind == document_kind::bottle && key == "mounts") lk = {"guest", false}, keyed = true;
            else if (kind == document_kind::agent && key == "skills") lk = {"", false}, keyed = true;
            if (keyed) {
                if (auto r = detail::keyed_union_into(acc[key], m.value(), lk, key); !r) return r;
                continue;
            }
            auto* existing = acc.if_contains(key);
            if (existing && existing->is_object() && m.value().is_object()) detail::deep_merge_into(existing->get_object(), m.value().get_object());
            else acc[key] = detail::strip_nulls(m.value());
        }
        return {};
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, "merge: out of memory");
    } catch (const std::exception& e) {
        return make_error(errc::internal, std::string("merge: unexpected error: ") + e.what());
    }
}

/// Merges `overlay` onto `base` by the rules above and returns the result
/// (neither input changes). Inputs are expected to have passed validation;
/// a keyed list whose elements lack their key is an invalid_argument error
/// rather than a guess. Never throws (allocation failure becomes an error).
[[nodiscard]] inline result<boost::json::object> merge_documents(const boost::json::object& base, const boost::json::object& overlay,
                                                                 document_kind kind) noexcept {
    try {
        boost::json::object out = base;
        if (auto r = merge_into(out, overlay, kind); !r) return r.error();
        return out;
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, "merge: out of memory");
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
