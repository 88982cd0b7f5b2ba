// bottle/manifest/resolve.hpp — `extends` resolution, lineage, runtime merge.
//
// Lineage (the order definitions are merged in) is a linearisation of the
// `extends` graph: depth-first, parents left to right before the child, each
// bottle once at its first appearance. So `dev: {extends: [a, b]}` with a and
// b both extending `base` has lineage `base -> a -> b -> dev`: a shared
// ancestor is applied once, before everything that extends it.
//
// A resolved bottle is the merge (merge.hpp) of the raw definitions of its
// lineage, in order, onto an empty bottle. The runtime merge of the bottles
// `[x, y]` chosen at launch is a left fold of the *resolved* bottles x and y
// with the same rules (as the original bot-bottle merges at launch), so one
// rule set serves both; only the extends graph is linearised.
//
// Errors: unknown bottle (not_found, naming who referenced it), cycle
// (conflict, naming the cycle `a -> b -> a`), a chain longer than
// limits::max_extends_depth (limit_exceeded, naming the chain), a raw or
// resolved definition that fails the schema (parse_error / limit_exceeded).
#pragma once

#include "bottle/manifest/merge.hpp"
#include "bottle/manifest/model.hpp"
#include "bottle/manifest/schema.hpp"
#include "bottle/result.hpp"

#include <boost/json/object.hpp>

#include <algorithm>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::manifest {

/// A bottle after resolution: merged, validated, without nulls or `extends`.
struct resolved_bottle {
    std::string name;                  ///< the bottle's name, or "x+y" for a runtime merge
    std::vector<std::string> lineage;  ///< root-first; each bottle once
    boost::json::object value;         ///< the resolved bottle (see canonical.hpp for its one text form)
};

/// "base -> node -> dev".
[[nodiscard]] inline std::string format_lineage(std::span<const std::string> lineage) {
    std::string out;
    for (const auto& n : lineage) {
        if (!out.empty()) out += " -> ";
        out += n;
    }
    return out;
}

namespace detail {

class lineage_walker {
public:
    lineage_walker(const manifest& m, const limits& lim) : m_(m), lim_(lim) {}

    std::vector<std::string> order;  ///< the lineage so far

    /// Visits `name`, referenced from `from` ("file: /pointer", empty at launch).
    result<std::size_t> visit(const std::string& name, const std::string& from) {
        if (auto it = std::find(stack_.begin(), stack_.end(), name); it != stack_.end()) {
            std::vector<std::string> cycle(it, stack_.end());
            cycle.push_back(name);
            return make_error(errc::conflict, where(*it) + "/extends: extends cycle " + format_lineage(cycle) +
                                                  "; remove one of these extends");
        }
        if (auto it = depth_.find(name); it != depth_.end()) return it->second;
        const auto* raw = m_.bottles.if_contains(name);
        if (!raw) {
            if (from.empty()) return make_error(errc::not_found, "unknown bottle \"" + name + "\"; the manifest defines: " + known());
            return make_error(errc::not_found, from + ": unknown bottle \"" + name + "\" in extends");
        }
        const std::string self = where(name);
        if (auto r = validate_bottle(*raw, m_.origin_of_bottle(name), pointer_join("/bottles", name), bottle_form::raw, lim_); !r)
            return r.error();
        stack_.push_back(name);
        if (stack_.size() > lim_.max_extends_depth) {
            std::vector<std::string> root_first(stack_.rbegin(), stack_.rend());
            return make_error(errc::limit_exceeded, where(stack_.front()) + ": extends chain of " + std::to_string(stack_.size()) + " bottles: " +
                                                        limit_text("max_extends_depth", lim_.max_extends_depth) + " by " +
                                                        format_lineage(root_first));
        }
        std::size_t deepest = 0;
        std::string via;
        if (const auto* ext = raw->get_object().if_contains("extends")) {
            auto step = [&](const std::string& parent, const std::string& ref) -> result<void> {
                auto d = visit(parent, ref);
                if (!d) return d.error();
                if (*d > deepest) deepest = *d, via = parent;
                return {};
            };
            if (ext->is_string()) {
                if (auto r = step(std::string(ext->get_string()), self + "/extends"); !r) return r.error();
            } else {
                const auto& a = ext->get_array();
                for (std::size_t i = 0; i < a.size(); ++i)
                    if (auto r = step(std::string(a[i].get_string()), self + "/extends/" + std::to_string(i)); !r) return r.error();
            }
        }
        stack_.pop_back();
        const std::size_t depth = deepest + 1;
        if (depth > lim_.max_extends_depth)
            return make_error(errc::limit_exceeded, self + ": extends chain of " + std::to_string(depth) + " bottles: " +
                                                        limit_text("max_extends_depth", lim_.max_extends_depth) + " by " +
                                                        format_lineage(chain(via, name)));
        depth_[name] = depth;
        via_[name] = via;
        order.push_back(name);
        if (order.size() > lim_.max_lineage)
            return make_error(errc::limit_exceeded, self + ": " + limit_text("max_lineage", lim_.max_lineage) +
                                                        " (bottles merged into one); simplify the extends graph");
        return depth;
    }

private:
    const manifest& m_;
    const limits& lim_;
    std::vector<std::string> stack_;
    std::map<std::string, std::size_t, std::less<>> depth_;
    std::map<std::string, std::string, std::less<>> via_;

    std::string where(const std::string& name) const { return m_.origin_of_bottle(name) + ": " + pointer_join("/bottles", name); }

    /// The longest chain ending in `name`, root-first, through `via`.
    std::vector<std::string> chain(std::string via, const std::string& name) const {
        std::vector<std::string> out{name};
        while (!via.empty()) {
            out.push_back(via);
            auto it = via_.find(via);
            via = it == via_.end() ? std::string() : it->second;
        }
        std::reverse(out.begin(), out.end());
        return out;
    }

    std::string known() const {
        std::string out;
        std::size_t shown = 0;
        for (const auto& b : m_.bottles) {
            if (++shown > 20) return out + ", ... (" + std::to_string(m_.bottles.size()) + " in all)";
            out += (out.empty() ? "" : ", ") + std::string(b.key());
        }
        return out.empty() ? "(none)" : out;
    }
};

/// Merges the raw definitions of `lineage` in order and validates the result.
inline result<resolved_bottle> fold_lineage(const manifest& m, std::string name, std::vector<std::string> lineage,
                                            std::string source, std::string pointer, const limits& lim) {
    boost::json::object acc;
    for (const auto& n : lineage) {
        if (auto r = merge_into(acc, m.bottles.at(n).get_object(), document_kind::bottle); !r)
            return error{r.error().code, source + ": " + pointer + ": " + r.error().message};
    }
    if (auto r = validate_bottle(acc, source, pointer, bottle_form::resolved, lim); !r)
        return error{r.error().code, r.error().message + " (in the bottle resolved from " + format_lineage(lineage) + ")"};
    return resolved_bottle{std::move(name), std::move(lineage), std::move(acc)};
}

}  // namespace detail

namespace detail {

/// resolve_bottle without the exception guard.
inline result<resolved_bottle> resolve_one(const manifest& m, const std::string& name, const limits& lim) {
    lineage_walker walker(m, lim);
    if (auto d = walker.visit(name, ""); !d) return d.error();
    return fold_lineage(m, name, std::move(walker.order), m.origin_of_bottle(name), pointer_join("/bottles", name), lim);
}

}  // namespace detail

/// Resolves bottle `name` through its `extends`. Errors: see the banner.
[[nodiscard]] inline result<resolved_bottle> resolve_bottle(const manifest& m, std::string_view name, const limits& lim = {}) noexcept {
    try {
        return detail::resolve_one(m, std::string(name), lim);
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, "resolve: out of memory");
    } catch (const std::exception& e) {
        return make_error(errc::internal, std::string("resolve: unexpected error: ") + e.what());
    }
}

/// The runtime merge of the bottles `names` chosen at launch: each is
/// resolved on its own (resolve_bottle), then the resolved bottles are merged
/// left to right onto an empty bottle by the merge rules — a left fold, as the
/// original bot-bottle's merge_bottles_runtime does. So a chosen bottle
/// carries its whole resolution: with `x` and `y` both extending `base`, `y`
/// brings base's routes again and they replace `x`'s overrides of the same
/// hosts (unlike `{"extends": ["x", "y"]}`, where base is applied once).
/// Resolved bottles hold no nulls, so a chosen bottle never deletes what an
/// earlier one gave. A repeated name counts once (its first place). The
/// result is named "x+y"; its lineage lists every bottle used, each once,
/// in the order of the chosen bottles' lineages. The merged bottle is
/// validated again (limits apply to the sum). An empty list is
/// invalid_argument. Never throws.
[[nodiscard]] inline result<resolved_bottle> merge_bottles(const manifest& m, std::span<const std::string> names,
                                                           const limits& lim = {}) noexcept {
    try {
        if (names.empty()) return make_error(errc::invalid_argument, "no bottle to merge: name at least one bottle");
        if (names.size() > lim.max_list) return make_error(errc::limit_exceeded, "bottles at launch: " + detail::limit_text("max_list", lim.max_list));
        std::vector<std::string> seen;
        for (const auto& n : names)
            if (std::find(seen.begin(), seen.end(), n) == seen.end()) seen.push_back(n);
        if (seen.size() == 1) return detail::resolve_one(m, seen.front(), lim);
        resolved_bottle out;
        for (const auto& n : seen) {
            auto r = detail::resolve_one(m, n, lim);
            if (!r) return r.error();
            out.name += (out.name.empty() ? "" : "+") + n;
            for (auto& l : r->lineage)
                if (std::find(out.lineage.begin(), out.lineage.end(), l) == out.lineage.end()) out.lineage.push_back(std::move(l));
            if (auto mr = merge_into(out.value, r->value, document_kind::bottle); !mr)
                return error{mr.error().code, "bottles merged at launch: " + n + ": " + mr.error().message};
        }
        if (auto r = validate_bottle(out.value, "bottles " + out.name + " merged at launch", "", bottle_form::resolved, lim); !r) return r.error();
        return out;
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, "resolve: out of memory");
    } catch (const std::exception& e) {
        return make_error(errc::internal, std::string("resolve: unexpected error: ") + e.what());
    }
}

/// The lineage of `name`, root-first (see the banner). Errors as resolve_bottle
/// except that the resolved result is not built or validated.
[[nodiscard]] inline result<std::vector<std::string>> lineage_of(const manifest& m, std::string_view name, const limits& lim = {}) noexcept {
    try {
        detail::lineage_walker walker(m, lim);
        if (auto d = walker.visit(std::string(name), ""); !d) return d.error();
        return std::move(walker.order);
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, "lineage: out of memory");
    } catch (const std::exception& e) {
        return make_error(errc::internal, std::string("lineage: unexpected error: ") + e.what());
    }
}

}  // namespace bottle::manifest
