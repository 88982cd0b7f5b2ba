// bottle/smolvm/detail/duplicate_keys.hpp — find a duplicate object key in a
// JSON text.
//
// Boost.JSON keeps the last of duplicate keys; smolvm (serde) rejects a record
// with a duplicate field. Two readers that disagree on which `allowed_cidrs`
// counts is exactly the ambiguity a verifier must not accept, so vm_record
// rejects duplicates at any depth. This is a second, allocation-light pass
// with Boost.JSON's SAX parser over text that already parsed.
#pragma once

#include "bottle/smolvm/detail/json_fields.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::smolvm::detail {

class duplicate_key_handler {
public:
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

    std::optional<std::string> duplicate;  ///< JSON pointer of the first duplicate key

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
        std::string pointer;
        for (const auto& f : frames_)
            pointer += "/" + (f.is_object ? json_pointer_token(f.current_key) : std::to_string(f.index));
        duplicate = std::move(pointer);
        ec = boost::json::error::syntax;  // stop parsing: one duplicate is enough
        return false;
    }
    bool on_number_part(boost::json::string_view, boost::json::error_code&) { return true; }
    bool on_int64(std::int64_t, boost::json::string_view, boost::json::error_code&) { return value_done(); }
    bool on_uint64(std::uint64_t, boost::json::string_view, boost::json::error_code&) { return value_done(); }
    bool on_double(double, boost::json::string_view, boost::json::error_code&) { return value_done(); }
    bool on_bool(bool, boost::json::error_code&) { return value_done(); }
    bool on_null(boost::json::error_code&) { return value_done(); }
    bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

private:
    struct frame {
        bool is_object;
        std::set<std::string> keys;
        std::string current_key;
        std::size_t index;
    };
    bool value_done() {
        if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
        return true;
    }
    std::vector<frame> frames_;
    std::string key_;
};

/// JSON pointer of the first duplicate key in `text`, or nullopt when keys are
/// unique. `text` must already be known to be valid JSON within `max_depth`.
[[nodiscard]] inline std::optional<std::string> find_duplicate_key(std::string_view text, std::size_t max_depth) {
    boost::json::parse_options opts;
    opts.max_depth = max_depth;
    boost::json::basic_parser<duplicate_key_handler> parser(opts);
    boost::json::error_code ec;
    parser.write_some(false, text.data(), text.size(), ec);
    return std::move(parser.handler().duplicate);
}

}  // namespace bottle::smolvm::detail
