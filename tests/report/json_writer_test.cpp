#include "bottle/report/json_writer.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <vector>

namespace {

namespace rep = bottle::report;

TEST(JsonWriter, SchemaIdAndValidation) {
    EXPECT_EQ(rep::schema_id("preflight").value(), "bot-bottle/preflight/v1");
    EXPECT_EQ(rep::schema_id("escape-scorecard", 3).value(), "bot-bottle/escape-scorecard/v3");
    EXPECT_TRUE(bottle::failed_with(rep::schema_id(""), bottle::errc::invalid_argument));
    EXPECT_TRUE(bottle::failed_with(rep::schema_id("Preflight"), bottle::errc::invalid_argument));
    EXPECT_TRUE(bottle::failed_with(rep::schema_id("a/b"), bottle::errc::invalid_argument));
    EXPECT_TRUE(bottle::failed_with(rep::schema_id("-x"), bottle::errc::invalid_argument));
    EXPECT_TRUE(bottle::failed_with(rep::schema_id("x", 0), bottle::errc::invalid_argument));
    EXPECT_TRUE(bottle::failed_with(rep::schema_id(std::string(65, 'a')), bottle::errc::limit_exceeded));
    EXPECT_TRUE(rep::schema_id(std::string(64, 'a')).has_value());
}

TEST(JsonWriter, DocumentPutsSchemaFirstAndKeepsBodyOrder) {
    boost::json::object body{{"tool", "t"}, {"checks", boost::json::array{}}};
    auto doc = rep::make_document("preflight", body);
    ASSERT_TRUE(doc.has_value());
    ASSERT_EQ(doc->size(), 3u);
    auto it = doc->begin();
    EXPECT_EQ(it->key(), "schema");
    EXPECT_EQ(it->value().as_string(), "bot-bottle/preflight/v1");
    ++it;
    EXPECT_EQ(it->key(), "tool");
    ++it;
    EXPECT_EQ(it->key(), "checks");
    EXPECT_EQ(rep::check_schema(*doc, "preflight").value(), 1u);
}

TEST(JsonWriter, DocumentRejectsBodyWithItsOwnSchema) {
    boost::json::object body{{"schema", "evil"}};
    EXPECT_TRUE(bottle::failed_with(rep::make_document("preflight", body), bottle::errc::invalid_argument));
}

TEST(JsonWriter, CheckSchemaGate) {
    EXPECT_EQ(rep::check_schema(boost::json::parse(R"({"schema":"bot-bottle/audit/v12"})"), "audit").value(), 12u);
    EXPECT_TRUE(bottle::failed_with(rep::check_schema(boost::json::parse(R"({"schema":"bot-bottle/audit/v1"})"), "preflight"),
                                    bottle::errc::mismatch));
    // "audit" must not accept "auditx": the kind ends at the slash.
    EXPECT_TRUE(bottle::failed_with(rep::check_schema(boost::json::parse(R"({"schema":"bot-bottle/auditx/v1"})"), "audit"),
                                    bottle::errc::mismatch));
    for (const char* bad : {R"([])", R"({})", R"({"schema":1})", R"({"schema":"bot-bottle/audit/v"})",
                            R"({"schema":"bot-bottle/audit/v01"})", R"({"schema":"bot-bottle/audit/v1x"})"}) {
        EXPECT_TRUE(bottle::failed_with(rep::check_schema(boost::json::parse(bad), "audit"), bottle::errc::parse_error))
            << bad;
    }
}

TEST(JsonWriter, FindingHasEveryKeyAndStructuredEvidence) {
    rep::finding f{.id = "smolvm.unrestricted_egress", .severity = rep::severity::high, .subject = "vm a",
                   .message = "m", .remedy = "r"};
    f.evidence = boost::json::value{{"allowed_cidrs", nullptr}};
    auto j = rep::to_json(f);
    EXPECT_EQ(j.at("id").as_string(), "smolvm.unrestricted_egress");
    EXPECT_EQ(j.at("severity").as_string(), "high");
    EXPECT_EQ(j.at("subject").as_string(), "vm a");
    EXPECT_EQ(j.at("message").as_string(), "m");
    EXPECT_EQ(j.at("remedy").as_string(), "r");
    EXPECT_TRUE(j.at("evidence").at("allowed_cidrs").is_null());
    rep::finding g{.id = "x"};
    EXPECT_TRUE(rep::to_json(g).at("evidence").is_null());
    EXPECT_EQ(rep::to_json(g).at("severity").as_string(), "critical");
}

TEST(JsonWriter, ChecksAndSummary) {
    std::vector<rep::check_result> cs{
        {.id = "native.userns", .category = "native", .title = "user namespaces", .status = rep::check_status::ok,
         .found = "max=10", .remedy = ""},
        {.id = "native.bwrap", .category = "native", .title = "bubblewrap", .status = rep::check_status::fail,
         .found = "not on PATH", .remedy = "apt-get install bubblewrap"}};
    auto arr = rep::to_json_array(cs);
    ASSERT_EQ(arr.size(), 2u);
    EXPECT_EQ(arr[1].at("status").as_string(), "fail");
    EXPECT_EQ(arr[1].at("remedy").as_string(), "apt-get install bubblewrap");
    EXPECT_EQ(arr[0].at("category").as_string(), "native");
    auto s = rep::to_json(rep::summarize(cs));
    EXPECT_EQ(s.at("ok").as_uint64() + s.at("fail").as_uint64(), 2u);
    EXPECT_EQ(s.at("warn").as_uint64(), 0u);
}

TEST(JsonWriter, PrettyParsesBackEqualAndIsIndented) {
    boost::json::value v = boost::json::parse(
        R"({"schema":"bot-bottle/x/v1","a":[1,2,{"b":"q\"uote\n"}],"e":{},"f":[],"g":null,"h":-1.5})");
    const std::string text = rep::to_pretty_json(v);
    EXPECT_EQ(boost::json::parse(text), v);
    EXPECT_EQ(text.substr(0, 2), "{\n");
    EXPECT_NE(text.find("\n  \"a\": [\n    1,\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\"e\": {}"), std::string::npos);
    EXPECT_EQ(text.back(), '\n');
}

}  // namespace
