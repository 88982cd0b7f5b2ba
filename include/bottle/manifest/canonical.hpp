// bottle/manifest/canonical.hpp — the one text form of a resolved bottle.
//
// Canonical JSON: object keys sorted by their UTF-8 bytes at every level,
// arrays in their (merged) order, no whitespace, strings escaped as
// Boost.JSON serialises them, integers in decimal. Two bottles that differ
// only in the order of keys in their manifests have the same canonical text,
// so it can be hashed, diffed and replayed.
#pragma once

#include "bottle/result.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::manifest {

/// Nesting bound of canonical_json; deeper input is a limit_exceeded error.
inline constexpr std::size_t canonical_max_depth = 64;

namespace detail {

inline bool write_canonical(std::string& out, const boost::json::value& v, std::size_t depth) {
    if (depth > canonical_max_depth) return false;
    switch (v.kind()) {
        case boost::json::kind::object: {
            const auto& o = v.get_object();
            std::vector<const boost::json::key_value_pair*> members;
            members.reserve(o.size());
            for (const auto& m : o) members.push_back(&m);
            std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
                return std::string_view(a->key().data(), a->key().size()) < std::string_view(b->key().data(), b->key().size());
            });
            out.push_back('{');
            for (std::size_t i = 0; i < members.size(); ++i) {
                if (i) out.push_back(',');
                out += boost::json::serialize(boost::json::string_view(members[i]->key()));
                out.push_back(':');
                if (!write_canonical(out, members[i]->value(), depth + 1)) return false;
            }
            out.push_back('}');
            return true;
        }
        case boost::json::kind::array: {
            out.push_back('[');
            bool first = true;
            for (const auto& e : v.get_array()) {
                if (!first) out.push_back(',');
                first = false;
                if (!write_canonical(out, e, depth + 1)) return false;
            }
            out.push_back(']');
            return true;
        }
        default:
            out += boost::json::serialize(v);
            return true;
    }
}

}  // namespace detail

/// The canonical text of `v` (see the banner). Errors: limit_exceeded when
/// nesting exceeds canonical_max_depth. Never throws.
[[nodiscard]] inline result<std::string> canonical_json(const boost::json::value& v) noexcept {
    try {
        std::string out;
        if (!detail::write_canonical(out, v, 0))
            return make_error(errc::limit_exceeded, "canonical JSON: nesting deeper than canonical_max_depth (" +
                                                        std::to_string(canonical_max_depth) + ")");
        return out;
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, "canonical JSON: out of memory");
    } catch (const std::exception& e) {
        return make_error(errc::internal, std::string("canonical JSON: unexpected error: ") + e.what());
    }
}

}  // namespace bottle::manifest
