// bottle/smolvm/detail/serde_compat.hpp — find what Boost.JSON accepts but
// smolvm (serde_json) would not: duplicate object keys and numbers out of
// the range of a double.
//
// - Boost.JSON keeps the last of duplicate keys; serde rejects a duplicate
//   field. Two readers that disagree on which `allowed_cidrs` counts is
//   exactly the ambiguity a verifier must not accept.
// - Boost.JSON 1.81 parses 1e309 as infinity and then serialises it as
//   `Infinity`, which is not JSON (found by fuzz_vm_record_roundtrip); serde
//   rejects such a number. Rejecting it keeps encode() valid JSON.
// - Boost.JSON 1.81 does not always round decimal text to the nearest double
//   (it read "-9.223372097693135E18" one ulp off, so encode/decode drifted;
//   found by the same fuzzer). The pass re-reads every non-integer number
//   with std::from_chars (correctly rounded) and reports corrections, so a
//   decoded record holds the values smolvm's serde would read.
// This is a second, allocation-light pass with Boost.JSON's SAX parser over
// text that already parsed.
#pragma once

#include "bottle/smolvm/detail/json_fields.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <charconv>
#include <cmath>
#include <cstring>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace bottle::smolvm::detail {

class serde_rejection_handler {
public:
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

    std::optional<std::string> problem;  ///< "duplicate key /a/b" or "number out of range at /x/0"
    std::vector<std::pair<std::string, double>> corrections;  ///< pointer -> correctly rounded value

    bool on_document_begin(boost::json::error_code&) { return true; }
    bool on_document_end(boost::json::error_code&) { return true; }
    bool on_array_begin(boost::json::error_code&) { frames_.push_back(frame{false, {}, {}, 0}); return true; }
    bool on_array_end(std::size_t, boost::json::error_code&) { frames_.pop_back(); return value_done(); }
    bool on_object_begin(boost::json::error_code&) { frames_.push_back(frame{true, {}, {}, 0}); return true; }
    bool on_object_end(std::size_t, boost::json::error_code&) { frames_.pop_back(); return value_done(); }
    bool on_string_part(boost::json::string_view, std::size_t, boost::json::error_code&) { return true; }
    bool on_string(boost::json::string_view, std::size_t, boost::json::error_code&) { return value_done(); }
    bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
        key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code& ec) {
        key_.append(s.data(), s.size());
        frame& top = frames_.back();
        top.current_key = key_;
        const bool fresh = top.keys.insert(key_).second;
        key_.clear();
        if (fresh) return true;
        problem = "duplicate key " + pointer() + " (smolvm rejects records with duplicate fields)";
        ec = boost::json::error::syntax;  // stop parsing: one problem is enough
        return false;
    }
    bool on_number_part(boost::json::string_view s, boost::json::error_code&) {
        number_.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t, boost::json::string_view, boost::json::error_code&) { return number_done(); }
    bool on_uint64(std::uint64_t, boost::json::string_view, boost::json::error_code&) { return number_done(); }
    bool on_double(double d, boost::json::string_view s, boost::json::error_code& ec) {
        number_.append(s.data(), s.size());
        double exact = 0;
        const auto [end, err] = std::from_chars(number_.data(), number_.data() + number_.size(), exact);
        if (err != std::errc{} || end != number_.data() + number_.size() || !std::isfinite(d) || !std::isfinite(exact)) {
            problem = "number out of range at " + pointer() + " (it does not fit a double)";
            ec = boost::json::error::syntax;
            return false;
        }
        if (std::memcmp(&exact, &d, sizeof d) != 0) corrections.emplace_back(pointer(), exact);
        return number_done();
    }
    bool on_bool(bool, boost::json::error_code&) { return value_done(); }
    bool on_null(boost::json::error_code&) { return value_done(); }
    bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

private:
    [[nodiscard]] std::string pointer() const {
        std::string out;
        for (const auto& f : frames_) out += "/" + (f.is_object ? json_pointer_token(f.current_key) : std::to_string(f.index));
        return out.empty() ? std::string("/") : out;
    }
    struct frame {
        bool is_object;
        std::set<std::string> keys;
        std::string current_key;
        std::size_t index;
    };
    bool number_done() {
        number_.clear();
        return value_done();
    }
    bool value_done() {
        if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
        return true;
    }
    std::vector<frame> frames_;
    std::string key_;
    std::string number_;
};

/// What a second pass over `text` found: the first thing smolvm would reject
/// (duplicate key, out-of-range number; nullopt when none), and doubles
/// Boost.JSON mis-rounded, by JSON pointer. `text` must already be known to
/// be valid JSON within `max_depth`.
struct serde_check {
    std::optional<std::string> problem;
    std::vector<std::pair<std::string, double>> corrections;
};

[[nodiscard]] inline serde_check check_serde_compat(std::string_view text, std::size_t max_depth) {
    boost::json::parse_options opts;
    opts.max_depth = max_depth;
    boost::json::basic_parser<serde_rejection_handler> parser(opts);
    boost::json::error_code ec;
    parser.write_some(false, text.data(), text.size(), ec);
    return {std::move(parser.handler().problem), std::move(parser.handler().corrections)};
}

}  // namespace bottle::smolvm::detail
