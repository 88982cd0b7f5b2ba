// bottle/manifest/strict_json.hpp — parse untrusted JSON text strictly.
//
// Boost.JSON keeps the last of two equal keys silently; a manifest that says
// `"egress"` twice is ambiguous, so this parser rejects duplicate keys (naming
// the JSON pointer of the object). It also bounds the text size and nesting
// depth (naming the limit), rejects comments, trailing commas and invalid
// UTF-8 (Boost.JSON's defaults), and reports syntax errors with line:column.
#pragma once

#include "bottle/manifest/model.hpp"
#include "bottle/result.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::manifest {

namespace detail {

/// basic_parser handler that only checks keys: a stack of open containers,
/// each object with the set of its keys, each array with its element count.
class duplicate_key_finder {
public:
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

    std::string duplicate_pointer;  ///< pointer of the object holding the duplicate
    std::string duplicate_key;

    bool on_document_begin(boost::json::error_code&) { return true; }
    bool on_document_end(boost::json::error_code&) { return true; }
    bool on_array_begin(boost::json::error_code&) { return open(false); }
    bool on_array_end(std::size_t, boost::json::error_code&) { return close(); }
    bool on_object_begin(boost::json::error_code&) { return open(true); }
    bool on_object_end(std::size_t, boost::json::error_code&) { return close(); }
    bool on_string_part(boost::json::string_view, std::size_t, boost::json::error_code&) { return true; }
    bool on_string(boost::json::string_view, std::size_t, boost::json::error_code&) { return scalar(); }
    bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
        key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code& ec) {
        key_.append(s.data(), s.size());
        frame& top = stack_.back();
        if (!top.keys.insert(key_).second) {
            duplicate_pointer = pointer();
            duplicate_key = key_;
            ec = boost::json::error::syntax;  // stops the parse; the caller reports the duplicate
            return false;
        }
        top.current_key = std::move(key_);
        key_.clear();
        return true;
    }
    bool on_number_part(boost::json::string_view, boost::json::error_code&) { return true; }
    bool on_int64(std::int64_t, boost::json::string_view, boost::json::error_code&) { return scalar(); }
    bool on_uint64(std::uint64_t, boost::json::string_view, boost::json::error_code&) { return scalar(); }
    bool on_double(double, boost::json::string_view, boost::json::error_code&) { return scalar(); }
    bool on_bool(bool, boost::json::error_code&) { return scalar(); }
    bool on_null(boost::json::error_code&) { return scalar(); }
    bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

private:
    struct frame {
        bool is_object = false;
        std::string token;        ///< this container's token in its parent
        std::set<std::string, std::less<>> keys;
        std::string current_key;
        std::size_t count = 0;    ///< completed elements (arrays)
    };
    std::vector<frame> stack_;
    std::string key_;

    std::string child_token() const {
        if (stack_.empty()) return {};
        const frame& top = stack_.back();
        return top.is_object ? top.current_key : std::to_string(top.count);
    }
    bool open(bool is_object) {
        frame f;
        f.is_object = is_object;
        f.token = child_token();
        stack_.push_back(std::move(f));
        return true;
    }
    bool close() {
        stack_.pop_back();
        return scalar();
    }
    bool scalar() {
        if (!stack_.empty() && !stack_.back().is_object) ++stack_.back().count;
        return true;
    }
    std::string pointer() const {
        std::string p;
        for (std::size_t i = 1; i < stack_.size(); ++i) p = pointer_join(p, stack_[i].token);
        return p;
    }
};

/// "line 3, column 14" for a byte offset into `text`.
inline std::string line_column(std::string_view text, std::size_t offset) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace detail

/// Parses `text` (named `source` in errors) as one strict JSON document.
/// Errors: limit_exceeded (max_file_bytes, max_json_depth), parse_error
/// (syntax with line and column, duplicate key with its JSON pointer). Never throws.
[[nodiscard]] inline result<boost::json::value> parse_strict_json(std::string_view text, std::string_view source,
                                                                  const limits& lim = {}) noexcept {
    const std::string where(source);
    try {
        if (text.size() > lim.max_file_bytes)
            return make_error(errc::limit_exceeded, where + ": " + detail::limit_text("max_file_bytes", lim.max_file_bytes) +
                                                        " (" + std::to_string(text.size()) + " bytes); split the manifest into a directory of files");
        boost::json::parse_options opts;
        opts.max_depth = lim.max_json_depth;

        // Pass 1: syntax, depth and duplicate keys, without building a value.
        boost::json::basic_parser<detail::duplicate_key_finder> checker(opts);
        boost::json::error_code ec;
        std::size_t used = checker.write_some(false, text.data(), text.size(), ec);
        if (!checker.handler().duplicate_key.empty()) {
            std::string pointer = checker.handler().duplicate_pointer;
            return make_error(errc::parse_error, where + ": " + (pointer.empty() ? std::string("/") : pointer) +
                                                     ": duplicate key \"" + checker.handler().duplicate_key + "\"");
        }
        if (ec == boost::json::error::too_deep)
            return make_error(errc::limit_exceeded, where + ": " + detail::limit_text("max_json_depth", lim.max_json_depth) +
                                                        " at " + detail::line_column(text, used));
        if (ec)
            return make_error(errc::parse_error, where + ": " + detail::line_column(text, used) + ": invalid JSON (" + ec.message() + ")");
        if (used != text.size())
            return make_error(errc::parse_error, where + ": " + detail::line_column(text, used) + ": trailing data after the JSON document");

        // Pass 2: build the value (same options, so it cannot disagree).
        boost::json::value v = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec, {}, opts);
        if (ec) return make_error(errc::parse_error, where + ": invalid JSON (" + ec.message() + ")");
        return v;
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, where + ": out of memory while parsing");
    } catch (const std::exception& e) {
        return make_error(errc::internal, where + ": unexpected error while parsing: " + e.what());
    }
}

}  // namespace bottle::manifest
