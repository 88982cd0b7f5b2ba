// vm_record: decode∘encode round trips, and fields bot-bottle does not
// understand survive decoding, re-encoding and patching allowed_cidrs.
#include "bottle/smolvm/vm_record.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <string>

namespace {

using bottle::smolvm::vm_record;

const std::set<std::string> kKnown{"name", "state", "network", "allowed_cidrs", "dns_filter_hosts", "network_backend",
                                   "cpus", "mem", "created_at", "source_smolmachine", "image", "pid"};

// Strings that exercise JSON escaping and multi-byte UTF-8 but stay valid UTF-8.
std::string gen_text() {
    static const std::vector<std::string> pieces{"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f",
                                                 "\xc3\xa9", "\xe2\x80\xa8", "\xf0\x9f\x90\x8d", "~", "%"};
    const auto n = *rc::gen::inRange<std::size_t>(0, 12);
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += *rc::gen::elementOf(pieces);
    return s;
}

boost::json::value gen_value(int depth) {
    const int kind = *rc::gen::inRange(0, depth > 0 ? 9 : 7);
    switch (kind) {
        case 0: return nullptr;
        case 1: return *rc::gen::arbitrary<bool>();
        case 2: return *rc::gen::arbitrary<std::int64_t>();
        case 3: return *rc::gen::arbitrary<std::uint64_t>();
        case 4: return static_cast<double>(*rc::gen::inRange(-1000000, 1000000)) / 64.0;  // exactly representable
        case 5:
        case 6: return boost::json::string(gen_text());
        case 7: {
            boost::json::array a;
            const int n = *rc::gen::inRange(0, 4);
            for (int i = 0; i < n; ++i) a.push_back(gen_value(depth - 1));
            return a;
        }
        default: {
            boost::json::object o;
            const int n = *rc::gen::inRange(0, 4);
            for (int i = 0; i < n; ++i) o[gen_text()] = gen_value(depth - 1);
            return o;
        }
    }
}

std::vector<std::string> gen_strings() {
    std::vector<std::string> v;
    const int n = *rc::gen::inRange(0, 5);
    for (int i = 0; i < n; ++i) v.push_back(gen_text());
    return v;
}

boost::json::array to_array(const std::vector<std::string>& v) {
    boost::json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

// A well-typed record: each known field present or not, plus unknown fields.
boost::json::object gen_record() {
    boost::json::object o;
    o["name"] = gen_text();
    auto maybe = [] { return *rc::gen::arbitrary<bool>(); };
    if (maybe()) o["state"] = *rc::gen::elementOf(std::vector<std::string>{"created", "running", "stopped", "failed", "unreachable", "odd"});
    if (maybe()) o["network"] = maybe();
    switch (*rc::gen::inRange(0, 3)) {
        case 0: break;
        case 1: o["allowed_cidrs"] = nullptr; break;
        default: o["allowed_cidrs"] = to_array(gen_strings());
    }
    if (maybe()) o["dns_filter_hosts"] = to_array(gen_strings());
    if (maybe()) o["network_backend"] = maybe() ? boost::json::value(gen_text()) : boost::json::value(nullptr);
    if (maybe()) o["cpus"] = *rc::gen::inRange<std::int64_t>(0, 256);
    if (maybe()) o["mem"] = *rc::gen::inRange<std::int64_t>(0, 4294967296LL);
    if (maybe()) o["created_at"] = maybe() ? boost::json::value(*rc::gen::arbitrary<std::uint64_t>()) : boost::json::value(gen_text());
    if (maybe()) o["image"] = maybe() ? boost::json::value(gen_text()) : boost::json::value(nullptr);
    if (maybe()) o["pid"] = maybe() ? boost::json::value(*rc::gen::arbitrary<std::int64_t>()) : boost::json::value(nullptr);
    const int unknown = *rc::gen::inRange(0, 6);
    for (int i = 0; i < unknown; ++i) {
        std::string key = "x_" + gen_text();
        o[key] = gen_value(3);
    }
    return o;
}

RC_GTEST_PROP(VmRecordProps, DecodeEncodeRoundTripIsValueEqual, ()) {
    const boost::json::object original = gen_record();
    const std::string text = boost::json::serialize(original);
    auto rec = vm_record::decode(text);
    RC_ASSERT(rec.has_value());
    RC_ASSERT(rec->json() == original);
    auto again = vm_record::decode(rec->encode());
    RC_ASSERT(again.has_value());
    RC_ASSERT(*again == *rec);
    RC_ASSERT(again->encode() == rec->encode());
}

RC_GTEST_PROP(VmRecordProps, PatchingAllowedCidrsPreservesEveryOtherField, ()) {
    const boost::json::object original = gen_record();
    auto rec = vm_record::decode(boost::json::serialize(original));
    RC_ASSERT(rec.has_value());
    const auto want = gen_strings();
    rec->set_allowed_cidrs(want);
    auto patched = vm_record::decode(rec->encode());
    RC_ASSERT(patched.has_value());
    RC_ASSERT(*patched->allowed_cidrs() == want);
    RC_ASSERT(!patched->unrestricted());
    for (const auto& kv : original) {
        if (kv.key() == "allowed_cidrs") continue;
        const auto* v = patched->json().if_contains(kv.key());
        RC_ASSERT(v != nullptr);
        RC_ASSERT(*v == kv.value());
    }
    RC_ASSERT(patched->json().size() == original.size() + (original.contains("allowed_cidrs") ? 0 : 1));
}

RC_GTEST_PROP(VmRecordProps, AWrongTypeInAnyReliedOnFieldIsRejectedNamingIt, ()) {
    boost::json::object o = gen_record();
    const std::string field = *rc::gen::elementOf(std::vector<std::string>{"name", "network", "allowed_cidrs", "dns_filter_hosts", "cpus"});
    // Values no relied-on field accepts in that position.
    o[field] = field == "network" ? boost::json::value("true") : boost::json::value(boost::json::object{{"k", 1}});
    auto rec = vm_record::decode(boost::json::serialize(o));
    RC_ASSERT(bottle::failed_with(rec, bottle::errc::parse_error));
    RC_ASSERT(rec.error().message.find("/" + field) != std::string::npos);
}

}  // namespace
