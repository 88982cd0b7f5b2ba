// bottle/report/json_writer.hpp — versioned JSON documents for tool output.
//
// Every JSON document a bot-bottle tool prints starts with
//   {"schema": "bot-bottle/<kind>/v<N>", ...}
// so consumers can reject a format they do not know instead of misreading it.
// `make_document` builds one; `check_schema` is the consumer-side gate.
// `to_json` encodes findings and check results with stable keys; `to_pretty_json`
// renders any value with two-space indentation (keys in insertion order).
// Nothing here throws: Boost.JSON allocation failures aside, errors are values.
#pragma once

#include "bottle/report/check.hpp"
#include "bottle/report/finding.hpp"
#include "bottle/result.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace bottle::report {

/// Longest accepted document kind (limit named in the error).
inline constexpr std::size_t max_schema_kind_length = 64;

/// "bot-bottle/<kind>/v<version>". `kind` must be 1..64 characters of
/// [a-z0-9-], starting with a letter or digit, and `version` at least 1;
/// otherwise errc::invalid_argument (or limit_exceeded for length).
[[nodiscard]] inline result<std::string> schema_id(std::string_view kind, unsigned version = 1) {
    if (kind.empty()) return make_error(errc::invalid_argument, "schema kind is empty");
    if (kind.size() > max_schema_kind_length)
        return make_error(errc::limit_exceeded, "schema kind is longer than the limit of " +
                                                    std::to_string(max_schema_kind_length) + " characters");
    if (kind.front() == '-') return make_error(errc::invalid_argument, "schema kind '" + std::string(kind) + "' starts with '-'");
    for (char c : kind) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok)
            return make_error(errc::invalid_argument,
                              "schema kind '" + std::string(kind) + "' has a character outside [a-z0-9-]");
    }
    if (version == 0) return make_error(errc::invalid_argument, "schema version must be at least 1");
    return "bot-bottle/" + std::string(kind) + "/v" + std::to_string(version);
}

/// A document whose first key is "schema", followed by `body`'s keys in order.
/// Fails with errc::invalid_argument if the kind is malformed or `body`
/// already has a "schema" key (it would be ambiguous which one wins).
[[nodiscard]] inline result<boost::json::object> make_document(std::string_view kind, const boost::json::object& body,
                                                               unsigned version = 1) {
    auto id = schema_id(kind, version);
    if (!id) return id.error();
    if (body.contains("schema"))
        return make_error(errc::invalid_argument, "document body already has a \"schema\" key");
    boost::json::object doc;
    doc.reserve(body.size() + 1);
    doc["schema"] = *id;
    for (const auto& kv : body) doc[kv.key()] = kv.value();
    return doc;
}

/// Consumer-side gate: `doc` must be an object whose "schema" is
/// "bot-bottle/<kind>/v<N>". Returns N. errc::parse_error when the schema key
/// is missing or not a string, errc::mismatch when it is another kind.
[[nodiscard]] inline result<unsigned> check_schema(const boost::json::value& doc, std::string_view kind) {
    const auto* obj = doc.if_object();
    if (!obj) return make_error(errc::parse_error, "document is not a JSON object");
    const auto* schema = obj->if_contains("schema");
    if (!schema || !schema->is_string())
        return make_error(errc::parse_error, "document has no string \"schema\" key");
    const std::string_view s = schema->get_string();
    const std::string prefix = "bot-bottle/" + std::string(kind) + "/v";
    if (s.substr(0, prefix.size()) != prefix)
        return make_error(errc::mismatch, "document schema '" + std::string(s) + "' is not a bot-bottle/" +
                                              std::string(kind) + " document");
    const std::string_view digits = s.substr(prefix.size());
    if (digits.empty() || digits.size() > 6 || digits.front() == '0')
        return make_error(errc::parse_error, "document schema '" + std::string(s) + "' has no valid version");
    unsigned v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9')
            return make_error(errc::parse_error, "document schema '" + std::string(s) + "' has no valid version");
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v;
}

/// {"id","severity","subject","message","remedy","evidence"} — every key always present.
[[nodiscard]] inline boost::json::object to_json(const finding& f) {
    return boost::json::object{{"id", f.id},         {"severity", to_string(f.severity)},
                               {"subject", f.subject}, {"message", f.message},
                               {"remedy", f.remedy}, {"evidence", f.evidence}};
}

/// {"id","category","title","status","found","remedy"} — every key always present.
[[nodiscard]] inline boost::json::object to_json(const check_result& c) {
    return boost::json::object{{"id", c.id},       {"category", c.category}, {"title", c.title},
                               {"status", to_string(c.status)}, {"found", c.found},   {"remedy", c.remedy}};
}

/// {"ok":N,"warn":N,"fail":N}
[[nodiscard]] inline boost::json::object to_json(const check_summary& s) {
    return boost::json::object{{"ok", s.ok}, {"warn", s.warn}, {"fail", s.fail}};
}

/// A JSON array of `to_json(item)` for each item.
template <class Range>
[[nodiscard]] boost::json::array to_json_array(const Range& items) {
    boost::json::array out;
    out.reserve(items.size());
    for (const auto& item : items) out.emplace_back(to_json(item));
    return out;
}

namespace detail {

inline void pretty(std::string& out, const boost::json::value& v, std::size_t indent) {
    const auto pad = [&](std::size_t n) { out.append(n * 2, ' '); };
    if (const auto* obj = v.if_object()) {
        if (obj->empty()) { out += "{}"; return; }
        out += "{\n";
        std::size_t i = 0;
        for (const auto& kv : *obj) {
            pad(indent + 1);
            out += boost::json::serialize(boost::json::string_view(kv.key()));
            out += ": ";
            pretty(out, kv.value(), indent + 1);
            if (++i < obj->size()) out += ',';
            out += '\n';
        }
        pad(indent);
        out += '}';
    } else if (const auto* arr = v.if_array()) {
        if (arr->empty()) { out += "[]"; return; }
        out += "[\n";
        for (std::size_t i = 0; i < arr->size(); ++i) {
            pad(indent + 1);
            pretty(out, (*arr)[i], indent + 1);
            if (i + 1 < arr->size()) out += ',';
            out += '\n';
        }
        pad(indent);
        out += ']';
    } else {
        out += boost::json::serialize(v);
    }
}

}  // namespace detail

/// `v` with two-space indentation and a trailing newline; parses back to a
/// value equal to `v`. Recursion depth equals the value's nesting depth
/// (values we build are shallow; do not feed it untrusted deep input).
[[nodiscard]] inline std::string to_pretty_json(const boost::json::value& v) {
    std::string out;
    detail::pretty(out, v, 0);
    out += '\n';
    return out;
}

}  // namespace bottle::report
