#include "bottle/smolvm/vm_record.hpp"

#include "support/smolvm_fixture.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <string>

namespace {

using bottle::errc;
using bottle::failed_with;
using bottle::smolvm::cidr_field;
using bottle::smolvm::decode_limits;
using bottle::smolvm::vm_record;
using bottle::smolvm::vm_state;

std::string error_of(const bottle::result<vm_record>& r) { return r.has_error() ? r.error().message : std::string("<no error>"); }

TEST(VmRecord, DecodesTheIllustrativeRecord) {
    auto rec = vm_record::decode(bottle::test_support::illustrative_record());
    ASSERT_TRUE(rec.has_value()) << error_of(rec);
    EXPECT_EQ(rec->name(), "agent1");
    EXPECT_EQ(rec->state(), vm_state::running);
    EXPECT_TRUE(rec->state_known());
    EXPECT_TRUE(rec->network());
    EXPECT_EQ(rec->allowed_cidrs_field(), cidr_field::list);
    EXPECT_FALSE(rec->unrestricted());
    EXPECT_EQ(*rec->allowed_cidrs(), std::vector<std::string>{"10.0.0.0/8"});
    EXPECT_EQ(rec->cpus(), 2);
    EXPECT_EQ(rec->mem_mib(), 2048u);
    EXPECT_EQ(std::get<std::uint64_t>(rec->created_at()), 1755800000u);
    EXPECT_EQ(rec->image(), std::optional<std::string>("alpine:3.20"));
    EXPECT_EQ(rec->pid(), std::optional<std::int64_t>(48213));
    EXPECT_FALSE(rec->source_smolmachine().has_value());
    EXPECT_FALSE(rec->network_backend().has_value());
    EXPECT_TRUE(rec->dns_filter_hosts().empty());
}

TEST(VmRecord, RoundTripPreservesEveryFieldIncludingUnknownOnes) {
    const std::string text = bottle::test_support::illustrative_record();
    auto rec = vm_record::decode(text);
    ASSERT_TRUE(rec.has_value()) << error_of(rec);
    EXPECT_EQ(boost::json::parse(rec->encode()), boost::json::parse(text));
    auto again = vm_record::decode(rec->encode());
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, *rec);
    // Fields bot-bottle does not interpret are still there, with their values.
    EXPECT_EQ(again->json().at("restart").at("policy"), "never");
    EXPECT_EQ(again->json().at("mounts").at(0).at(2), true);
    EXPECT_TRUE(again->json().at("gpu").is_null());
}

TEST(VmRecord, SetAllowedCidrsTouchesOnlyThatKey) {
    auto rec = vm_record::decode(bottle::test_support::illustrative_record("agent1", "null"));
    ASSERT_TRUE(rec.has_value()) << error_of(rec);
    EXPECT_TRUE(rec->unrestricted());
    auto before = rec->json();
    rec->set_allowed_cidrs({"127.0.0.16/32"});
    auto after = vm_record::decode(rec->encode());
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(*after->allowed_cidrs(), std::vector<std::string>{"127.0.0.16/32"});
    auto patched = after->json();
    patched.erase("allowed_cidrs");
    before.erase("allowed_cidrs");
    EXPECT_EQ(patched, before);
    EXPECT_EQ(after->json().size(), rec->json().size());
}

TEST(VmRecord, AllowedCidrsAbsentNullEmptyAreDistinguished) {
    auto absent = vm_record::decode(R"({"name":"a"})");
    auto null = vm_record::decode(R"({"name":"a","allowed_cidrs":null})");
    auto empty = vm_record::decode(R"({"name":"a","allowed_cidrs":[]})");
    ASSERT_TRUE(absent && null && empty);
    EXPECT_EQ(absent->allowed_cidrs_field(), cidr_field::absent);
    EXPECT_EQ(null->allowed_cidrs_field(), cidr_field::null);
    EXPECT_EQ(empty->allowed_cidrs_field(), cidr_field::list);
    EXPECT_TRUE(absent->unrestricted());
    EXPECT_TRUE(null->unrestricted());
    EXPECT_FALSE(empty->unrestricted());
    EXPECT_TRUE(empty->allowed_cidrs()->empty());
}

TEST(VmRecord, DefaultsForMissingFields) {
    auto rec = vm_record::decode(R"({"name":"m"})");
    ASSERT_TRUE(rec.has_value()) << error_of(rec);
    EXPECT_FALSE(rec->network());
    EXPECT_EQ(rec->cpus(), 1);
    EXPECT_EQ(rec->mem_mib(), 512u);
    EXPECT_EQ(rec->state(), vm_state::unknown);
    EXPECT_TRUE(std::holds_alternative<std::monostate>(rec->created_at()));
    EXPECT_EQ(rec->encode(), R"({"name":"m"})");  // defaults are not written back
}

TEST(VmRecord, UnknownStateIsKeptAndFlagged) {
    auto rec = vm_record::decode(R"({"name":"m","state":"hibernating"})");
    ASSERT_TRUE(rec.has_value());
    EXPECT_EQ(rec->state(), vm_state::unknown);
    EXPECT_FALSE(rec->state_known());
    EXPECT_EQ(rec->state_text(), "hibernating");
}

TEST(VmRecord, OlderStringCreatedAtAndOptionalStrings) {
    auto rec = vm_record::decode(
        R"({"name":"m","created_at":"2024-01-01T00:00:00Z","image":null,"pid":null,"source_smolmachine":"a.smolmachine","network_backend":"virtio-net","dns_filter_hosts":["api.example.com"]})");
    ASSERT_TRUE(rec.has_value()) << error_of(rec);
    EXPECT_EQ(std::get<std::string>(rec->created_at()), "2024-01-01T00:00:00Z");
    EXPECT_FALSE(rec->image().has_value());
    EXPECT_FALSE(rec->pid().has_value());
    EXPECT_EQ(rec->source_smolmachine(), std::optional<std::string>("a.smolmachine"));
    EXPECT_EQ(rec->network_backend(), std::optional<std::string>("virtio-net"));
    EXPECT_EQ(rec->dns_filter_hosts(), std::vector<std::string>{"api.example.com"});
}

struct bad_case {
    const char* json;
    const char* pointer;  // must appear in the message
};

class VmRecordWrongTypes : public ::testing::TestWithParam<bad_case> {};

TEST_P(VmRecordWrongTypes, AreParseErrorsNamingTheField) {
    auto rec = vm_record::decode(GetParam().json);
    ASSERT_TRUE(failed_with(rec, errc::parse_error)) << GetParam().json;
    EXPECT_NE(rec.error().message.find(GetParam().pointer), std::string::npos) << rec.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, VmRecordWrongTypes,
    ::testing::Values(bad_case{R"({"state":"running"})", "/name"}, bad_case{R"({"name":7})", "/name"},
                      bad_case{R"({"name":"a","state":1})", "/state"},
                      bad_case{R"({"name":"a","network":"yes"})", "/network"},
                      bad_case{R"({"name":"a","network":null})", "/network"},
                      bad_case{R"({"name":"a","allowed_cidrs":"10.0.0.0/8"})", "/allowed_cidrs"},
                      bad_case{R"({"name":"a","allowed_cidrs":{}})", "/allowed_cidrs"},
                      bad_case{R"({"name":"a","allowed_cidrs":["10.0.0.0/8","10.1.0.0/16",3]})", "/allowed_cidrs/2"},
                      bad_case{R"({"name":"a","allowed_cidrs":[null]})", "/allowed_cidrs/0"},
                      bad_case{R"({"name":"a","dns_filter_hosts":null})", "/dns_filter_hosts"},
                      bad_case{R"({"name":"a","dns_filter_hosts":["x",false]})", "/dns_filter_hosts/1"},
                      bad_case{R"({"name":"a","network_backend":5})", "/network_backend"},
                      bad_case{R"({"name":"a","cpus":256})", "/cpus"}, bad_case{R"({"name":"a","cpus":-1})", "/cpus"},
                      bad_case{R"({"name":"a","cpus":1.5})", "/cpus"},
                      bad_case{R"({"name":"a","mem":4294967296})", "/mem"},
                      bad_case{R"({"name":"a","created_at":-5})", "/created_at"},
                      bad_case{R"({"name":"a","created_at":true})", "/created_at"},
                      bad_case{R"({"name":"a","image":[]})", "/image"},
                      bad_case{R"({"name":"a","pid":"12"})", "/pid"},
                      bad_case{R"({"name":"a","pid":18446744073709551615})", "/pid"},
                      bad_case{R"({"name":"a","source_smolmachine":1})", "/source_smolmachine"},
                      bad_case{R"([1,2])", "the record"},
                      bad_case{R"({"name":"a","allowed_cidrs":null,"allowed_cidrs":["1.2.3.4/32"]})", "/allowed_cidrs"},
                      bad_case{R"({"name":"a","restart":{"policy":"never","policy":"always"}})", "/restart/policy"},
                      bad_case{R"({"name":"a","mounts":[[1],{"k":1,"k":2}]})", "/mounts/1/k"},
                      bad_case{R"({"name":"a","x":[1,1e309]})", "/x/1"},
                      bad_case{R"({"name":"a","y":{"z":-1e400}})", "/y/z"},
                      bad_case{R"({"name":"a","mem":1.7976931348847767e308})", "/mem"}));

TEST(VmRecord, NotJsonIsAParseError) {
    for (const char* text : {"", "{", "{\"name\":\"a\",}", "{\"name\":\"a\"} x", "// c\n{\"name\":\"a\"}", "\"a\""})
        EXPECT_TRUE(failed_with(vm_record::decode(text), errc::parse_error)) << text;
    const std::string invalid_utf8 = "{\"name\":\"\xff\"}";
    EXPECT_TRUE(failed_with(vm_record::decode(invalid_utf8), errc::parse_error));
}

TEST(VmRecord, LimitsAreEnforcedAndNamed) {
    decode_limits small;
    small.max_bytes = 16;
    auto big = vm_record::decode(R"({"name":"a-much-longer-name"})", small);
    ASSERT_TRUE(failed_with(big, errc::limit_exceeded));
    EXPECT_NE(big.error().message.find("max_bytes"), std::string::npos);

    std::string deep = R"({"name":"a","x":)" + std::string(40, '[') + std::string(40, ']') + "}";
    auto too_deep = vm_record::decode(deep);
    ASSERT_TRUE(failed_with(too_deep, errc::limit_exceeded)) << error_of(too_deep);
    EXPECT_NE(too_deep.error().message.find("max_depth"), std::string::npos);

    decode_limits deeper;
    deeper.max_depth = 64;
    EXPECT_TRUE(vm_record::decode(deep, deeper).has_value());
}

}  // namespace

namespace {

TEST(VmRecordNumbers, DoublesAreCorrectlyRoundedAndSurviveReencoding) {
    // Boost.JSON 1.81 alone reads this one ulp off; vm_record corrects it.
    auto rec = vm_record::decode(R"({"name":"n","x":[-9.223372097693135E18,0.1,5e-324]})");
    ASSERT_TRUE(rec.has_value()) << error_of(rec);
    EXPECT_EQ(rec->json().at("x").at(0).as_double(), -9.223372097693135e18);
    EXPECT_EQ(rec->json().at("x").at(1).as_double(), 0.1);
    auto again = vm_record::decode(rec->encode());
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, *rec);
}

}  // namespace
