// Fuzz target: arbitrary bytes as a manifest. When they parse, every bottle is
// resolved and rendered canonically, the first bottles are merged at
// "launch" (and compared with the fold of the resolved bottles), and every
// agent is resolved. Must never crash; the invariants
// below abort when broken (resolved bottles hold no nulls and no `extends`,
// canonical text re-parses to the same canonical text).
#include "bottle/manifest/agent.hpp"
#include "bottle/manifest/canonical.hpp"
#include "bottle/manifest/parse.hpp"
#include "bottle/manifest/resolve.hpp"

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace bm = bottle::manifest;

bool has_null(const boost::json::value& v) {
    if (v.is_null()) return true;
    if (v.is_object())
        for (const auto& m : v.get_object())
            if (has_null(m.value())) return true;
    if (v.is_array())
        for (const auto& e : v.get_array())
            if (has_null(e)) return true;
    return false;
}

void check_resolved(const bm::resolved_bottle& r) {
    if (has_null(r.value) || r.value.contains("extends") || r.lineage.empty()) std::abort();
    auto text = bm::canonical_json(r.value);
    if (!text) std::abort();
    boost::json::error_code ec;
    auto again = boost::json::parse(*text, ec);
    if (ec) std::abort();
    auto text2 = bm::canonical_json(again);
    if (!text2 || *text2 != *text) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    bm::limits lim;
    lim.max_file_bytes = 64 * 1024;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto m = bm::parse_manifest(text, "fuzz.json", lim);
    if (!m) return 0;
    (void)bm::check_manifest(*m, lim);
    std::vector<std::string> names;
    for (const auto& b : m->bottles) {
        names.emplace_back(b.key());
        auto r = bm::resolve_bottle(*m, b.key(), lim);
        if (r) check_resolved(*r);
        (void)bm::lineage_of(*m, b.key(), lim);
    }
    if (names.size() >= 2) {
        std::vector<std::string> two{names[names.size() - 1], names[0]};
        if (auto r = bm::merge_bottles(*m, two, lim)) {
            check_resolved(*r);
            // The runtime merge is the fold of the resolved bottles.
            boost::json::object acc;
            for (const auto& n : two) {
                auto one = bm::resolve_bottle(*m, n, lim);
                if (!one || !bm::merge_into(acc, one->value, bm::document_kind::bottle)) std::abort();
            }
            if (bm::canonical_json(acc).value() != bm::canonical_json(r->value).value()) std::abort();
        }
    }
    for (const auto& a : m->agents) {
        std::vector<std::string> launch;
        if (!names.empty()) launch.push_back(names[0]);
        if (auto r = bm::resolve_agent(*m, a.key(), launch, {}, lim)) check_resolved(r->bottle);
    }
    return 0;
}
