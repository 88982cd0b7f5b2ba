#include "bottle/manifest/merge.hpp"

#include "bottle/manifest/canonical.hpp"
#include "bottle/manifest/resolve.hpp"
#include "bottle/manifest/schema.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

namespace bm = bottle::manifest;
namespace json = boost::json;

// Small pools so that random bottles collide on hosts, guests and keys.
const std::vector<std::string> hosts{"a.com", "b.com", "c.com", "d.com", "*.e.com"};
const std::vector<std::string> guests{"/w", "/x", "/y/z", "/cache"};
const std::vector<std::string> env_keys{"A", "B", "C", "D"};
const std::vector<std::string> repo_names{"app", "lib"};

bool coin() { return *rc::gen::inRange(0, 2) == 1; }

// A random subset of `pool`, in one of a few orders.
std::vector<std::string> subset(const std::vector<std::string>& pool) {
    std::vector<std::string> out;
    for (const auto& p : pool)
        if (coin()) out.push_back(p);
    if (out.size() > 1 && coin()) std::reverse(out.begin(), out.end());
    if (out.size() > 2 && coin()) std::rotate(out.begin(), out.begin() + 1, out.end());
    return out;
}

std::string pick(const std::vector<std::string>& pool) { return pool[static_cast<std::size_t>(*rc::gen::inRange<int>(0, static_cast<int>(pool.size())))]; }

// A random bottle over the known keys. With `nulls`, any merge position may be
// null (delete). Repos are always complete so resolved bottles validate.
json::object gen_bottle(bool nulls) {
    auto maybe_null = [&]() { return nulls && *rc::gen::inRange(0, 5) == 0; };
    json::object b;
    if (coin()) {
        json::array egress;
        for (const auto& h : subset(hosts)) {
            json::object e{{"host", h}};
            if (coin()) {
                json::array ports;
                for (int p : {443, 80, 8443})
                    if (coin()) ports.push_back(p);
                if (!ports.empty()) e["ports"] = ports;
            }
            egress.push_back(e);
        }
        b["egress"] = maybe_null() ? json::value(nullptr) : json::value(egress);
    }
    if (coin()) {
        json::object env;
        for (const auto& k : subset(env_keys)) env[k] = maybe_null() ? json::value(nullptr) : json::value(pick({"1", "2", "3"}));
        b["env"] = maybe_null() ? json::value(nullptr) : json::value(env);
    }
    if (coin()) {
        json::array mounts;
        for (const auto& g : subset(guests)) mounts.push_back(json::object{{"host", pick({"/h1", "/h2"})}, {"guest", g}, {"mode", pick({"ro", "rw"})}});
        b["mounts"] = maybe_null() ? json::value(nullptr) : json::value(mounts);
    }
    if (coin()) {
        json::object res;
        for (const auto& k : subset({"cpus", "memory_mib", "pids"})) res[k] = maybe_null() ? json::value(nullptr) : json::value(*rc::gen::inRange(1, 5));
        b["resources"] = maybe_null() ? json::value(nullptr) : json::value(res);
    }
    if (coin()) {
        json::object repos;
        for (const auto& r : subset(repo_names))
            repos[r] = maybe_null() ? json::value(nullptr)
                                    : json::value(json::object{{"url", pick({"u1", "u2"})},
                                                               {"key", json::object{{"provider", "static"}, {"path", pick({"p1", "p2"})}}},
                                                               {"host_key", pick({"k1", "k2"})}});
        b["git-gate"] = maybe_null() ? json::value(nullptr) : json::value(json::object{{"repos", repos}});
    }
    if (coin()) b["supervise"] = maybe_null() ? json::value(nullptr) : json::value(coin());
    if (coin()) b["backend"] = maybe_null() ? json::value(nullptr) : json::value(pick({"native", "docker", "smolmachines"}));
    if (coin()) b["dockerfile"] = maybe_null() ? json::value(nullptr) : json::value(pick({"/srv/a/Dockerfile", "~/b/Dockerfile"}));
    return b;
}

std::string canon(const json::object& o) { return bm::canonical_json(o).value(); }

json::object merge(const json::object& a, const json::object& b) {
    auto r = bm::merge_bottle(a, b);
    RC_ASSERT(r.has_value());
    return *r;
}

bool has_null(const json::value& v) {
    if (v.is_null()) return true;
    if (v.is_object())
        return std::any_of(v.get_object().begin(), v.get_object().end(), [](const auto& m) { return has_null(m.value()); });
    if (v.is_array()) return std::any_of(v.get_array().begin(), v.get_array().end(), [](const auto& e) { return has_null(e); });
    return false;
}

RC_GTEST_PROP(ManifestMergeProps, GeneratedBottlesAreValidRawDefinitions, ()) {
    const auto a = gen_bottle(true);
    auto r = bm::validate_bottle(a, "gen", "/bottles/x", bm::bottle_form::raw);
    RC_ASSERT(r.has_value());
}

RC_GTEST_PROP(ManifestMergeProps, EmptyBottleIsAnIdentity, ()) {
    const auto a = gen_bottle(false);
    RC_ASSERT(canon(merge(a, {})) == canon(a));
    RC_ASSERT(canon(merge({}, a)) == canon(a));
}

RC_GTEST_PROP(ManifestMergeProps, MergeWithItselfIsIdempotent, ()) {
    const auto a = gen_bottle(false);
    RC_ASSERT(canon(merge(a, a)) == canon(a));
}

RC_GTEST_PROP(ManifestMergeProps, MergeIsAssociative, ()) {
    const auto a = gen_bottle(false), b = gen_bottle(false), c = gen_bottle(false);
    RC_ASSERT(canon(merge(merge(a, b), c)) == canon(merge(a, merge(b, c))));
}

RC_GTEST_PROP(ManifestMergeProps, MergeNeverLeavesNullsAndTheLaterScalarWins, ()) {
    const auto a = gen_bottle(true), b = gen_bottle(true);
    const auto m = merge(merge({}, a), b);
    RC_ASSERT(!has_null(m));
    for (const char* k : {"supervise", "backend", "dockerfile"}) {
        if (const auto* v = b.if_contains(k)) {
            if (v->is_null()) RC_ASSERT(!m.contains(k));
            else RC_ASSERT(m.at(k) == *v);
        }
    }
}

// A manifest b0..b(n-1) where each bottle extends a random set of earlier ones.
bm::manifest gen_dag(std::size_t n, bool nulls, bool linear) {
    bm::manifest m;
    for (std::size_t i = 0; i < n; ++i) {
        auto b = gen_bottle(nulls);
        if (i > 0) {
            json::array parents;
            if (linear) {
                parents.push_back(json::value("b" + std::to_string(i - 1)));
            } else {
                for (std::size_t j = 0; j < i; ++j)
                    if (coin()) parents.push_back(json::value("b" + std::to_string(j)));
                std::reverse(parents.begin(), parents.end());  // mix newer-first orders in
            }
            if (!parents.empty()) b["extends"] = parents;
        }
        m.bottles["b" + std::to_string(i)] = b;
    }
    return m;
}

RC_GTEST_PROP(ManifestMergeProps, ResolvingAGraphGivesItsLineageWithoutNullsOrExtends, ()) {
    const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 7));
    const auto m = gen_dag(n, true, coin());
    const std::string last = "b" + std::to_string(n - 1);
    auto resolved = bm::resolve_bottle(m, last);
    RC_ASSERT(resolved.has_value());
    RC_ASSERT(!has_null(resolved->value));
    RC_ASSERT(!resolved->value.contains("extends"));
    auto lineage = bm::lineage_of(m, last);
    RC_ASSERT(lineage.has_value());
    RC_ASSERT(*lineage == resolved->lineage);
    RC_ASSERT(lineage->back() == last);
}

// The runtime merge is the left fold of resolve_bottle over the chosen names
// (a repeated name counts once), on random extends graphs with nulls, where
// chosen bottles often share ancestors.
RC_GTEST_PROP(ManifestMergeProps, RuntimeMergeIsTheFoldOfTheResolvedChosenBottles, ()) {
    const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 7));
    auto m = gen_dag(n, true, false);
    // s1 and s2 both extend one random bottle (and maybe others): when chosen
    // together they share that bottle's whole lineage.
    const std::string common = "b" + std::to_string(*rc::gen::inRange<std::size_t>(0, n));
    for (const char* s : {"s1", "s2"}) {
        auto b = gen_bottle(true);
        json::array parents{json::value(common)};
        if (coin()) parents.push_back(json::value("b" + std::to_string(n - 1)));
        if (parents.size() == 2 && parents[0] == parents[1]) parents.pop_back();
        if (coin()) std::reverse(parents.begin(), parents.end());
        b["extends"] = parents;
        m.bottles[s] = b;
    }
    const auto k = static_cast<std::size_t>(*rc::gen::inRange(1, 5));
    std::vector<std::string> chosen;
    for (std::size_t i = 0; i < k; ++i) chosen.push_back("b" + std::to_string(*rc::gen::inRange<std::size_t>(0, n)));
    if (coin()) {
        chosen.insert(chosen.begin() + *rc::gen::inRange<std::ptrdiff_t>(0, static_cast<std::ptrdiff_t>(chosen.size()) + 1), "s1");
        chosen.insert(chosen.begin() + *rc::gen::inRange<std::ptrdiff_t>(0, static_cast<std::ptrdiff_t>(chosen.size()) + 1), "s2");
    }
    auto runtime = bm::merge_bottles(m, chosen);
    RC_ASSERT(runtime.has_value());
    json::object acc;
    std::vector<std::string> seen;
    for (const auto& name : chosen) {
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
        seen.push_back(name);
        auto r = bm::resolve_bottle(m, name);
        RC_ASSERT(r.has_value());
        acc = merge(acc, r->value);
    }
    RC_ASSERT(canon(runtime->value) == canon(acc));
    RC_ASSERT(!has_null(runtime->value));
    std::size_t total = 0;
    for (const auto& name : seen) {  // every chosen bottle's lineage is in the merged lineage
        auto l = bm::lineage_of(m, name);
        RC_ASSERT(l.has_value());
        total += l->size();
        for (const auto& a : *l) RC_ASSERT(std::find(runtime->lineage.begin(), runtime->lineage.end(), a) != runtime->lineage.end());
    }
    // The case that differs from a linearised merge: chosen bottles sharing an ancestor.
    RC_CLASSIFY(total > runtime->lineage.size(), "chosen bottles share an ancestor");
}

RC_GTEST_PROP(ManifestMergeProps, LinearChainEqualsAFoldOfTheRawDefinitions, ()) {
    const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 7));
    const auto m = gen_dag(n, true, true);
    json::object acc;
    for (std::size_t i = 0; i < n; ++i) acc = merge(acc, m.bottles.at("b" + std::to_string(i)).as_object());
    auto resolved = bm::resolve_bottle(m, "b" + std::to_string(n - 1));
    RC_ASSERT(resolved.has_value());
    RC_ASSERT(resolved->lineage.size() == n);
    RC_ASSERT(canon(resolved->value) == canon(acc));
}

// Without nulls, merging already-resolved ancestors again changes nothing:
// each resolved bottle absorbs its ancestors. So, without nulls, the runtime
// merge of a bottle's lineage is the bottle itself.
RC_GTEST_PROP(ManifestMergeProps, NullFreeResolutionEqualsMergingResolvedLineage, ()) {
    const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 7));
    const auto m = gen_dag(n, false, false);
    const std::string last = "b" + std::to_string(n - 1);
    auto resolved = bm::resolve_bottle(m, last);
    RC_ASSERT(resolved.has_value());
    json::object acc;
    for (const auto& name : resolved->lineage) {
        auto r = bm::resolve_bottle(m, name);
        RC_ASSERT(r.has_value());
        acc = merge(acc, r->value);
    }
    RC_ASSERT(canon(acc) == canon(resolved->value));
    auto runtime = bm::merge_bottles(m, resolved->lineage);
    RC_ASSERT(runtime.has_value());
    RC_ASSERT(canon(runtime->value) == canon(resolved->value));
}

}  // namespace
