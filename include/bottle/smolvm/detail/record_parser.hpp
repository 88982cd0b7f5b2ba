// bottle/smolvm/detail/record_parser.hpp — the one-pass parse behind
// vm_record::decode: Boost.JSON's DOM parser with a handler that also notices
// what smolvm's serde would reject, so the common (clean) record is read once.
//
// - Doubles are re-read with std::from_chars (correctly rounded) and stored
//   as such, because Boost.JSON 1.81 sometimes rounds one ulp off (see
//   serde_compat.hpp); a number that does not fit a double marks the parse
//   `suspect`.
// - Duplicate keys: Boost.JSON keeps the last of duplicate keys, so an
//   object built from n key/value pairs has fewer than n members exactly when
//   it had a duplicate. The handler counts the pairs it saw; the caller
//   compares that with the members of the finished tree (`count_members`).
// Only a suspect or short-counted record is read again by
// check_serde_compat, which names the first problem by JSON pointer; the
// verdict (reject) never depends on that second pass finding it.
#pragma once

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bottle::smolvm::detail {

class record_dom_handler {
public:
    static constexpr std::size_t max_object_size = boost::json::object::max_size();
    static constexpr std::size_t max_array_size = boost::json::array::max_size();
    static constexpr std::size_t max_key_size = boost::json::string::max_size();
    static constexpr std::size_t max_string_size = boost::json::string::max_size();

    record_dom_handler(unsigned char* buffer, std::size_t size) : st(boost::json::storage_ptr(), buffer, size) {}

    boost::json::value_stack st;
    std::size_t pairs = 0;  ///< key/value pairs seen in the text, over all objects
    bool suspect = false;   ///< a number smolvm would reject (not finite in a double)

    bool on_document_begin(boost::json::error_code&) { return true; }
    bool on_document_end(boost::json::error_code&) { return true; }
    bool on_object_begin(boost::json::error_code&) { return true; }
    bool on_object_end(std::size_t n, boost::json::error_code&) {
        pairs += n;
        st.push_object(n);
        return true;
    }
    bool on_array_begin(boost::json::error_code&) { return true; }
    bool on_array_end(std::size_t n, boost::json::error_code&) {
        st.push_array(n);
        return true;
    }
    bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
        st.push_chars(s);
        return true;
    }
    bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code&) {
        st.push_key(s);
        return true;
    }
    bool on_string_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
        st.push_chars(s);
        return true;
    }
    bool on_string(boost::json::string_view s, std::size_t, boost::json::error_code&) {
        st.push_string(s);
        return true;
    }
    bool on_number_part(boost::json::string_view s, boost::json::error_code&) {
        number_.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t i, boost::json::string_view, boost::json::error_code&) {
        number_.clear();
        st.push_int64(i);
        return true;
    }
    bool on_uint64(std::uint64_t u, boost::json::string_view, boost::json::error_code&) {
        number_.clear();
        st.push_uint64(u);
        return true;
    }
    bool on_double(double d, boost::json::string_view s, boost::json::error_code&) {
        const char* first = s.data();
        std::size_t size = s.size();
        if (!number_.empty()) {  // the number arrived in parts
            number_.append(s.data(), s.size());
            first = number_.data();
            size = number_.size();
        }
        double exact = 0;
        const auto [end, err] = std::from_chars(first, first + size, exact);
        if (err != std::errc{} || end != first + size || !std::isfinite(d) || !std::isfinite(exact)) {
            suspect = true;  // rejected later; keep building so syntax errors still come first
            exact = 0;
        }
        number_.clear();
        st.push_double(exact);
        return true;
    }
    bool on_bool(bool b, boost::json::error_code&) {
        st.push_bool(b);
        return true;
    }
    bool on_null(boost::json::error_code&) {
        st.push_null();
        return true;
    }
    bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

private:
    std::string number_;
};

/// What one pass over a record's text produced. `ec` is what
/// boost::json::parse would report for the same text and options (root is
/// null then); otherwise `root` holds the tree (allocated from `sp`) with doubles correctly
/// rounded, `pairs` the key/value pairs in the text and `suspect` whether a
/// number did not fit a double.
struct record_parse {
    boost::json::value root;
    boost::json::error_code ec;
    std::size_t pairs = 0;
    bool suspect = false;
};

[[nodiscard]] inline record_parse parse_record_text(std::string_view text, const boost::json::parse_options& opts,
                                                   boost::json::storage_ptr sp = {}) {
    unsigned char temp[BOOST_JSON_STACK_BUFFER_SIZE];
    boost::json::basic_parser<record_dom_handler> parser(opts, temp, sizeof temp);
    parser.handler().st.reset(std::move(sp));
    record_parse out;
    const std::size_t n = parser.write_some(false, text.data(), text.size(), out.ec);
    if (!out.ec && n < text.size()) out.ec = boost::json::error::extra_data;  // as parser::write
    if (!out.ec && !parser.done()) out.ec = boost::json::error::incomplete;
    if (out.ec) return out;
    out.root = parser.handler().st.release();
    out.pairs = parser.handler().pairs;
    out.suspect = parser.handler().suspect;
    return out;
}

/// Members of every object in `root`, however deep (an explicit stack: no
/// recursion, whatever the depth limit).
[[nodiscard]] inline std::size_t count_members(const boost::json::value& root) {
    std::size_t total = 0;
    std::vector<const boost::json::value*> todo{&root};
    while (!todo.empty()) {
        const boost::json::value* v = todo.back();
        todo.pop_back();
        if (const auto* o = v->if_object()) {
            total += o->size();
            for (const auto& kv : *o)
                if (kv.value().is_structured()) todo.push_back(&kv.value());
        } else if (const auto* a = v->if_array()) {
            for (const auto& e : *a)
                if (e.is_structured()) todo.push_back(&e);
        }
    }
    return total;
}

}  // namespace bottle::smolvm::detail
