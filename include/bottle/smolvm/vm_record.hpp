// bottle/smolvm/vm_record.hpp — smolvm's machine record (the JSON in
// `vms.data`), decoded strictly where we rely on it and preserved verbatim
// everywhere else.
//
// Guarantees:
// - The whole JSON object is kept; only setters patch known keys, so
//   `decode(encode(decode(x)))` is value-equal to `decode(x)` and every field
//   bot-bottle does not understand survives a rewrite untouched.
// - Fields bot-bottle relies on are type-checked at decode time; a wrong type
//   is an `errc::parse_error` whose message names the field by JSON pointer
//   (e.g. "/allowed_cidrs/2") and says what was expected and found.
// - Input is bounded (`decode_limits`: bytes, nesting depth); exceeding a
//   limit is `errc::limit_exceeded` naming the limit. Duplicate keys and
//   numbers beyond a double's range (both rejected by smolvm, and the latter
//   not re-encodable as JSON) are parse errors. No exception escapes.
//
// `allowed_cidrs`: absent and null both mean *unrestricted* to smolvm; the
// record tells them apart (`cidr_field`) for reporting. `[]` means deny-all.
#pragma once

#include "bottle/result.hpp"
#include "bottle/smolvm/detail/serde_compat.hpp"
#include "bottle/smolvm/detail/json_fields.hpp"
#include "bottle/smolvm/detail/record_parser.hpp"

#include <boost/json/array.hpp>
#include <boost/json/error.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bottle::smolvm {

/// Known machine states; anything else decodes as `unknown` with its text kept.
enum class vm_state { created, running, stopped, failed, unreachable, unknown };

/// How `allowed_cidrs` appears in the record.
enum class cidr_field {
    absent,  ///< key missing: unrestricted
    null,    ///< `null`: unrestricted
    list,    ///< an array of strings (possibly empty = deny-all)
};

/// Bounds on untrusted record bytes.
struct decode_limits {
    std::size_t max_bytes = 1024 * 1024;  ///< a real record is a few KiB
    std::size_t max_depth = 32;           ///< records nest 3 levels deep
};

class vm_record {
public:
    /// Decodes the bytes of one `vms.data` BLOB.
    /// Errors: limit_exceeded (size or depth, naming the limit), parse_error
    /// (not JSON, not an object, duplicate key, or a relied-on field with the
    /// wrong type — the message carries its JSON pointer).
    [[nodiscard]] static result<vm_record> decode(std::string_view bytes, const decode_limits& limits = {}) noexcept {
        try {
            return decode_impl(bytes, limits);
        } catch (const std::exception& e) {  // bad_alloc and the like
            return make_error(errc::internal, std::string("smolvm machine record: decode failed: ") + e.what());
        }
    }

    /// The record as compact JSON (UTF-8), ready to bind as a BLOB.
    [[nodiscard]] std::string encode() const { return boost::json::serialize(object_); }

    /// The whole record, including fields bot-bottle does not interpret.
    [[nodiscard]] const boost::json::object& json() const noexcept { return object_; }

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] vm_state state() const noexcept { return state_; }
    /// The state string as stored ("" when the key is missing).
    [[nodiscard]] const std::string& state_text() const noexcept { return state_text_; }
    /// False when the state is missing or not one of the five known strings.
    [[nodiscard]] bool state_known() const noexcept { return state_ != vm_state::unknown; }
    /// Egress enabled; a missing key reads as false.
    [[nodiscard]] bool network() const noexcept { return network_; }
    [[nodiscard]] cidr_field allowed_cidrs_field() const noexcept { return cidr_field_; }
    /// True when smolvm applies no CIDR restriction (key absent or null).
    [[nodiscard]] bool unrestricted() const noexcept { return cidr_field_ != cidr_field::list; }
    /// The list as stored (order and duplicates kept); nullopt when unrestricted.
    [[nodiscard]] const std::optional<std::vector<std::string>>& allowed_cidrs() const noexcept { return cidrs_; }
    /// Names allowed by `--allow-host`; empty when the key is omitted.
    [[nodiscard]] const std::vector<std::string>& dns_filter_hosts() const noexcept { return dns_hosts_; }
    /// "tsi" / "virtio-net" / other text; nullopt when omitted (smolvm's default).
    [[nodiscard]] const std::optional<std::string>& network_backend() const noexcept { return backend_; }
    [[nodiscard]] std::uint8_t cpus() const noexcept { return cpus_; }    ///< missing -> 1
    [[nodiscard]] std::uint32_t mem_mib() const noexcept { return mem_; }  ///< missing -> 512
    /// u64 seconds, or the string older records carry; monostate when missing.
    [[nodiscard]] const std::variant<std::monostate, std::uint64_t, std::string>& created_at() const noexcept {
        return created_at_;
    }
    [[nodiscard]] const std::optional<std::string>& source_smolmachine() const noexcept { return source_; }
    [[nodiscard]] const std::optional<std::string>& image() const noexcept { return image_; }  ///< null/missing -> nullopt
    [[nodiscard]] const std::optional<std::int64_t>& pid() const noexcept { return pid_; }      ///< null/missing -> nullopt

    /// Replaces `allowed_cidrs` with `cidrs` (an array; `[]` = deny-all),
    /// leaving every other key as it was. Never fails.
    void set_allowed_cidrs(const std::vector<std::string>& cidrs) {
        boost::json::array arr;
        arr.reserve(cidrs.size());
        for (const auto& c : cidrs) arr.emplace_back(c);
        object_["allowed_cidrs"] = std::move(arr);
        cidr_field_ = cidr_field::list;
        cidrs_ = cidrs;
    }

    /// Sets `allowed_cidrs` to null (unrestricted). For tests and fixtures:
    /// bot-bottle itself never weakens a record.
    void set_unrestricted() {
        object_["allowed_cidrs"] = nullptr;
        cidr_field_ = cidr_field::null;
        cidrs_.reset();
    }

    friend bool operator==(const vm_record& a, const vm_record& b) noexcept { return a.object_ == b.object_; }

private:
    explicit vm_record(boost::json::object&& object) noexcept : object_(std::move(object)) {}

    static result<vm_record> decode_impl(std::string_view bytes, const decode_limits& limits) {
        if (bytes.size() > limits.max_bytes)
            return make_error(errc::limit_exceeded, "smolvm machine record: " + std::to_string(bytes.size()) +
                                                        " bytes exceeds the limit of " + std::to_string(limits.max_bytes) +
                                                        " bytes (decode_limits::max_bytes)");
        boost::json::parse_options opts;  // strict: no comments, no trailing commas, valid UTF-8 only
        opts.max_depth = limits.max_depth;
        auto parsed = detail::parse_record_text(bytes, opts);  // one pass; doubles already correctly rounded
        if (parsed.ec == boost::json::error::too_deep)
            return make_error(errc::limit_exceeded, "smolvm machine record: nesting deeper than " +
                                                        std::to_string(limits.max_depth) + " (decode_limits::max_depth)");
        if (parsed.ec) return make_error(errc::parse_error, "smolvm machine record: not valid JSON: " + parsed.ec.message());
        boost::json::value& root = parsed.root;
        if (!root.is_object()) return detail::field_error("/ (the record)", "an object", root);
        if (parsed.suspect || detail::count_members(root) != parsed.pairs) {
            // Something smolvm rejects (a duplicate key or a number beyond a
            // double): a second, slower pass names the first one by pointer.
            auto compat = detail::check_serde_compat(bytes, limits.max_depth);
            return make_error(errc::parse_error,
                              "smolvm machine record: " +
                                  compat.problem.value_or("duplicate key or out-of-range number (smolvm rejects the record)"));
        }

        vm_record rec(std::move(root.get_object()));
        if (auto r = rec.load_fields(); !r) return r.error();
        return rec;
    }

    result<void> load_fields() {
        const auto& o = object_;
        // name: required string
        const auto* name = o.if_contains("name");
        if (name == nullptr)
            return make_error(errc::parse_error, "smolvm machine record: field /name is missing (every record names its machine)");
        if (!name->is_string()) return detail::field_error("/name", "a string", *name);
        name_ = std::string(name->get_string());

        auto state = detail::optional_string(o, "state", false);
        if (!state) return state.error();
        state_text_ = state->value_or("");
        state_ = parse_state(state_text_);

        if (const auto* net = o.if_contains("network")) {
            if (!net->is_bool()) return detail::field_error("/network", "a boolean", *net);
            network_ = net->get_bool();
        }

        if (const auto* cidrs = o.if_contains("allowed_cidrs")) {
            if (cidrs->is_null()) {
                cidr_field_ = cidr_field::null;
            } else {
                auto list = detail::string_array(*cidrs, "/allowed_cidrs");
                if (!list) return list.error();
                cidr_field_ = cidr_field::list;
                cidrs_ = std::move(*list);
            }
        }

        if (const auto* hosts = o.if_contains("dns_filter_hosts")) {
            auto list = detail::string_array(*hosts, "/dns_filter_hosts");
            if (!list) return list.error();
            dns_hosts_ = std::move(*list);
        }

        auto backend = detail::optional_string(o, "network_backend", true);
        if (!backend) return backend.error();
        backend_ = std::move(*backend);

        auto cpus = detail::optional_integer(o, "cpus", 0, 255, false);
        if (!cpus) return cpus.error();
        cpus_ = static_cast<std::uint8_t>(cpus->value_or(1));

        auto mem = detail::optional_integer(o, "mem", 0, 4294967295LL, false);
        if (!mem) return mem.error();
        mem_ = static_cast<std::uint32_t>(mem->value_or(512));

        if (const auto* created = o.if_contains("created_at")) {
            if (created->is_string()) created_at_ = std::string(created->get_string());
            else if (created->is_uint64()) created_at_ = created->get_uint64();
            else if (created->is_int64() && created->get_int64() >= 0) created_at_ = static_cast<std::uint64_t>(created->get_int64());
            else return detail::field_error("/created_at", "a non-negative integer or a string", *created);
        }

        auto source = detail::optional_string(o, "source_smolmachine", true);
        if (!source) return source.error();
        source_ = std::move(*source);

        auto image = detail::optional_string(o, "image", true);
        if (!image) return image.error();
        image_ = std::move(*image);

        auto pid = detail::optional_integer(o, "pid", INT64_MIN, INT64_MAX, true);
        if (!pid) return pid.error();
        pid_ = *pid;
        return {};
    }

    static vm_state parse_state(std::string_view s) noexcept {
        if (s == "created") return vm_state::created;
        if (s == "running") return vm_state::running;
        if (s == "stopped") return vm_state::stopped;
        if (s == "failed") return vm_state::failed;
        if (s == "unreachable") return vm_state::unreachable;
        return vm_state::unknown;
    }

    boost::json::object object_;
    std::string name_;
    vm_state state_ = vm_state::unknown;
    std::string state_text_;
    bool network_ = false;
    cidr_field cidr_field_ = cidr_field::absent;
    std::optional<std::vector<std::string>> cidrs_;
    std::vector<std::string> dns_hosts_;
    std::optional<std::string> backend_;
    std::uint8_t cpus_ = 1;
    std::uint32_t mem_ = 512;
    std::variant<std::monostate, std::uint64_t, std::string> created_at_;
    std::optional<std::string> source_;
    std::optional<std::string> image_;
    std::optional<std::int64_t> pid_;
};

}  // namespace bottle::smolvm
