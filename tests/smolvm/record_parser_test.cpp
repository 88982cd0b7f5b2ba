// The one-pass record parse behind vm_record::decode: it must reject exactly
// what the second (naming) pass rejects — duplicate keys at any depth, in any
// spelling, in small and hashed objects — and report the same JSON errors as
// boost::json::parse.
#include "bottle/smolvm/detail/record_parser.hpp"

#include "bottle/smolvm/vm_record.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <charconv>
#include <string>
#include <vector>

namespace {

using bottle::errc;
using bottle::failed_with;
using bottle::smolvm::vm_record;
using bottle::smolvm::detail::count_members;
using bottle::smolvm::detail::parse_record_text;

std::string decode_error(const bottle::result<vm_record>& r) { return r ? std::string("(decoded)") : r.error().message; }

/// Parses with the fast path; true when it would hand the text to the slow pass.
bool flagged(const std::string& text) {
    auto p = parse_record_text(text, {});
    EXPECT_FALSE(p.ec) << text << ": " << p.ec.message();
    return p.suspect || count_members(p.root) != p.pairs;
}

/// A record with `members` (JSON text starting with ',') after its name.
std::string record(const std::string& members) { return R"({"name":"m")" + members + "}"; }

TEST(RecordParser, CleanRecordsAreNotFlagged) {
    EXPECT_FALSE(flagged(record("")));
    EXPECT_FALSE(flagged(record(R"(,"a":{"a":{"a":[{"a":1,"b":2}]}},"b":[[],{}])")));
    std::string wide = "{";
    for (int i = 0; i < 100; ++i) wide += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
    EXPECT_FALSE(flagged(wide + "}"));
    EXPECT_FALSE(flagged("[1,2,\"x\"]"));
}

TEST(RecordParser, DuplicateKeysAreRejectedAtAnyDepthAndNamed) {
    struct case_t {
        std::string members;
        std::string pointer;
    };
    const std::vector<case_t> cases = {
        {R"(,"name":"m")", "duplicate key /name"},
        {R"(,"a":{"b":1,"b":2})", "duplicate key /a/b"},
        {R"(,"a":[0,{"x":{"y":1,"z":2,"y":3}}])", "duplicate key /a/1/x/y"},
        {R"(,"a\u0062":1,"ab":2)", "duplicate key /ab"},  // same key, other spelling
        {R"(,"a/b":{"~":1,"~":2})", "duplicate key /a~1b/~0"},
    };
    for (const auto& c : cases) {
        const std::string text = record(c.members);
        EXPECT_TRUE(flagged(text)) << text;
        auto rec = vm_record::decode(text);
        ASSERT_TRUE(failed_with(rec, errc::parse_error)) << text;
        EXPECT_NE(decode_error(rec).find(c.pointer), std::string::npos) << text << " -> " << decode_error(rec);
    }
}

TEST(RecordParser, DuplicateInAHashedObjectIsRejected) {
    // Boost.JSON builds objects above a small size through a hash table: the
    // count must fall there too, whichever member repeats.
    for (int dup : {0, 17, 18, 19, 63}) {
        std::string text = R"({"name":"m","big":{)";
        for (int i = 0; i < 64; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
        text += ",\"k" + std::to_string(dup) + "\":0}}";
        EXPECT_TRUE(flagged(text)) << dup;
        auto rec = vm_record::decode(text);
        ASSERT_TRUE(failed_with(rec, errc::parse_error)) << dup;
        EXPECT_NE(decode_error(rec).find("duplicate key /big/k" + std::to_string(dup)), std::string::npos) << decode_error(rec);
    }
}

TEST(RecordParser, FirstProblemInDocumentOrderIsNamed) {
    auto rec = vm_record::decode(record(R"(,"a":{"x":1,"x":2},"b":1e999,"a":0)"));
    ASSERT_TRUE(failed_with(rec, errc::parse_error));
    EXPECT_NE(decode_error(rec).find("duplicate key /a/x"), std::string::npos) << decode_error(rec);
    auto num = vm_record::decode(record(R"(,"n":[1,-1e400],"n":0)"));
    ASSERT_TRUE(failed_with(num, errc::parse_error));
    EXPECT_NE(decode_error(num).find("number out of range at /n/1"), std::string::npos) << decode_error(num);
}

TEST(RecordParser, DoublesAreStoredCorrectlyRounded) {
    const std::string text = "-9.223372097693135E18";
    double exact = 0;
    std::from_chars(text.data(), text.data() + text.size(), exact);
    auto p = parse_record_text(R"({"d":)" + text + "}", {});
    ASSERT_FALSE(p.ec);
    EXPECT_FALSE(p.suspect);
    EXPECT_EQ(p.root.at("d").as_double(), exact);
    EXPECT_TRUE(parse_record_text(R"({"d":1e309})", {}).suspect);
}

TEST(RecordParser, ErrorsMatchBoostJsonParse) {
    boost::json::parse_options opts;
    opts.max_depth = 4;
    for (const std::string text : {"", "{", "{} x", "{\"a\":}", "[1,]", "{\"a\":1,}", "//c\n{}", "[[[[[1]]]]]", "\"\xff\"",
                                   "{\"a\":[1,2", "nul", "{}"}) {
        boost::json::error_code want;
        (void)boost::json::parse(text, want, {}, opts);
        auto got = parse_record_text(text, opts);
        EXPECT_EQ(got.ec, want) << text << ": " << got.ec.message() << " vs " << want.message();
        if (!want) {
            EXPECT_EQ(got.root, boost::json::parse(text, {}, opts)) << text;
        }
    }
}

}  // namespace
