// bottle/smolvm/detail/json_fields.hpp — type-checked reads of JSON object
// members for vm_record. Every failure names the JSON pointer of the field
// and says what was expected and what was found.
#pragma once

#include "bottle/result.hpp"

#include <boost/json/kind.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::smolvm::detail {

/// "string", "number", "null", ... — for error messages.
[[nodiscard]] inline std::string_view json_kind_name(const boost::json::value& v) noexcept {
    switch (v.kind()) {
        case boost::json::kind::null: return "null";
        case boost::json::kind::bool_: return "a boolean";
        case boost::json::kind::int64:
        case boost::json::kind::uint64: return "an integer";
        case boost::json::kind::double_: return "a non-integer number";
        case boost::json::kind::string: return "a string";
        case boost::json::kind::array: return "an array";
        case boost::json::kind::object: return "an object";
    }
    return "an unknown JSON value";
}

/// RFC 6901 escaping of one reference token ("~" -> "~0", "/" -> "~1").
[[nodiscard]] inline std::string json_pointer_token(std::string_view key) {
    std::string out;
    out.reserve(key.size());
    for (char c : key) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

[[nodiscard]] inline error field_error(std::string_view pointer, std::string_view expected, const boost::json::value& got) {
    return make_error(errc::parse_error, "smolvm machine record: field " + std::string(pointer) + " must be " +
                                             std::string(expected) + ", found " + std::string(json_kind_name(got)));
}

/// Optional string member: absent -> nullopt; null allowed only if `null_ok`.
[[nodiscard]] inline result<std::optional<std::string>> optional_string(const boost::json::object& obj, std::string_view key,
                                                                        bool null_ok) {
    const auto* v = obj.if_contains(key);
    if (v == nullptr) return std::optional<std::string>{};
    if (v->is_null() && null_ok) return std::optional<std::string>{};
    if (!v->is_string())
        return field_error("/" + json_pointer_token(key), null_ok ? "a string or null" : "a string", *v);
    return std::optional<std::string>{std::string(v->get_string())};
}

/// Integer member in [lo, hi]; absent (or null when `null_ok`) -> nullopt.
/// Non-integer numbers (1.5, 1e3) are rejected: smolvm's serde would reject them.
[[nodiscard]] inline result<std::optional<std::int64_t>> optional_integer(const boost::json::object& obj, std::string_view key,
                                                                          std::int64_t lo, std::int64_t hi, bool null_ok) {
    const auto* v = obj.if_contains(key);
    if (v == nullptr) return std::optional<std::int64_t>{};
    if (v->is_null() && null_ok) return std::optional<std::int64_t>{};
    // The messages are built only on failure: this runs several times per record.
    auto pointer = [&] { return "/" + json_pointer_token(key); };
    auto range = [&] { return "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]"; };
    if (v->is_int64()) {
        const std::int64_t n = v->get_int64();
        if (n < lo || n > hi)
            return make_error(errc::parse_error, "smolvm machine record: field " + pointer() + " must be " + range() +
                                                     ", found " + std::to_string(n));
        return std::optional<std::int64_t>{n};
    }
    if (v->is_uint64()) {  // only produced for values above INT64_MAX
        return make_error(errc::parse_error, "smolvm machine record: field " + pointer() + " must be " + range() + ", found " +
                                                 std::to_string(v->get_uint64()));
    }
    return field_error(pointer(), null_ok ? range() + " or null" : range(), *v);
}

/// Array of strings; every element is checked and a bad one is named by index
/// (e.g. "/allowed_cidrs/2").
[[nodiscard]] inline result<std::vector<std::string>> string_array(const boost::json::value& v, std::string_view pointer) {
    if (!v.is_array()) return field_error(pointer, "an array of strings", v);
    const auto& arr = v.get_array();
    std::vector<std::string> out;
    out.reserve(arr.size());
    for (std::size_t i = 0; i < arr.size(); ++i) {
        if (!arr[i].is_string())
            return field_error(std::string(pointer) + "/" + std::to_string(i), "a string", arr[i]);
        out.emplace_back(arr[i].get_string());
    }
    return out;
}

}  // namespace bottle::smolvm::detail
