// public_suffixes: the rule kinds, the built-in list (checked against
// Debian's publicsuffix package when it is installed), Punycode of Unicode
// rules, and the loader's refusals.
#include "bottle/policy/public_suffixes.hpp"

#include "../support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using bottle::errc;
using bottle::failed_with;
using bottle::policy::builtin_public_suffix_rules;
using bottle::policy::builtin_public_suffixes;
using bottle::policy::debian_public_suffix_list;
using bottle::policy::load_public_suffixes;
using bottle::policy::parse_public_suffixes;
using bottle::policy::detail::to_a_label;

TEST(PublicSuffixes, SingleLabelsAreAlwaysPublic) {
    bottle::policy::public_suffixes none;
    for (const char* n : {"com", "uk", "localhost", "internal", "xn--p1ai"}) EXPECT_TRUE(none.is_public_suffix(n)) << n;
    EXPECT_FALSE(none.is_public_suffix("example.com"));
    EXPECT_EQ(none.size(), 0u);
}

TEST(PublicSuffixes, ExactWildcardAndExceptionRules) {
    auto p = parse_public_suffixes("// comment\n\nco.uk\n*.ck\n!www.ck\nfoo.example   trailing text is ignored\r\n");
    ASSERT_TRUE(p.has_value()) << p.error().message;
    EXPECT_EQ(p->size(), 4u);
    EXPECT_TRUE(p->is_public_suffix("co.uk"));
    EXPECT_FALSE(p->is_public_suffix("example.co.uk"));
    EXPECT_FALSE(p->is_public_suffix("uk.co")) << "no suffix matching by accident";
    EXPECT_TRUE(p->is_public_suffix("anything.ck")) << "*.ck";
    EXPECT_FALSE(p->is_public_suffix("www.ck")) << "!www.ck";
    EXPECT_FALSE(p->is_public_suffix("a.anything.ck")) << "a wildcard covers one label";
    EXPECT_TRUE(p->is_public_suffix("foo.example"));
}

TEST(PublicSuffixes, UnicodeRulesBecomeALabels) {
    EXPECT_EQ(to_a_label("b\xc3\xbc" "cher"), "xn--bcher-kva");
    EXPECT_EQ(to_a_label("a\xc3\xa9roport"), "xn--aroport-bya");
    EXPECT_EQ(to_a_label("\xe5\x85\xac\xe5\x8f\xb8"), "xn--55qx5d");  // 公司
    EXPECT_EQ(to_a_label("\xe7\xbd\x91\xe7\xbb\x9c"), "xn--io0a7i");  // 网络
    EXPECT_EQ(to_a_label("ascii"), "ascii");
    EXPECT_FALSE(to_a_label("\xff").has_value());
    auto p = parse_public_suffixes("\xe5\x85\xac\xe5\x8f\xb8.cn\n");
    ASSERT_TRUE(p.has_value());
    EXPECT_TRUE(p->is_public_suffix("xn--55qx5d.cn"));
}

TEST(PublicSuffixes, BadRulesAreErrorsNamingTheLine) {
    for (const char* text : {"ok.uk\na..b\n", "ok.uk\nexa_mple.com\n", "ok.uk\n\xff.com\n", "ok.uk\n10.0.0.1\n", "ok.uk\n*.\n"}) {
        auto p = parse_public_suffixes(text);
        ASSERT_FALSE(p.has_value()) << text;
        EXPECT_TRUE(failed_with(p, errc::parse_error));
        EXPECT_NE(p.error().message.find("line 2"), std::string::npos) << p.error().message;
    }
}

TEST(PublicSuffixes, BuiltinCoversCommonRegistriesAndSharedHosting) {
    const auto& b = builtin_public_suffixes();
    EXPECT_EQ(b.size(), builtin_public_suffix_rules.size()) << "every built-in rule parsed";
    for (const char* n : {"com", "co.uk", "com.au", "co.jp", "github.io", "herokuapp.com", "s3.amazonaws.com", "any.sch.uk"})
        EXPECT_TRUE(b.is_public_suffix(n)) << n;
    for (const char* n : {"example.com", "example.co.uk", "me.github.io", "sch.uk", "amazonaws.com", "co.example"})
        EXPECT_FALSE(b.is_public_suffix(n)) << n;
}

TEST(PublicSuffixes, EveryBuiltinRuleIsInDebiansList) {
    if (!fs::exists(std::string(debian_public_suffix_list))) GTEST_SKIP() << "Debian's publicsuffix package is not installed";
    std::ifstream in{std::string(debian_public_suffix_list)};
    std::set<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.insert(line);
    for (auto rule : builtin_public_suffix_rules) EXPECT_TRUE(lines.contains(std::string(rule))) << rule;
}

TEST(PublicSuffixes, LoadsDebiansList) {
    if (!fs::exists(std::string(debian_public_suffix_list))) GTEST_SKIP() << "Debian's publicsuffix package is not installed";
    auto p = load_public_suffixes(std::string(debian_public_suffix_list));
    ASSERT_TRUE(p.has_value()) << p.error().message;
    EXPECT_GT(p->size(), 5000u);
    for (const char* n : {"co.uk", "github.io", "githubusercontent.com", "xn--55qx5d.cn", "anything.ck", "anything.kawasaki.jp"})
        EXPECT_TRUE(p->is_public_suffix(n)) << n;
    for (const char* n : {"example.com", "www.ck", "city.kawasaki.jp", "anthropic.com"}) EXPECT_FALSE(p->is_public_suffix(n)) << n;
}

TEST(PublicSuffixes, LoaderRefusals) {
    bottle::test_support::temp_dir dir;
    EXPECT_TRUE(failed_with(load_public_suffixes(dir.path() / "missing.dat"), errc::not_found));
    const fs::path big = dir.path() / "big.dat";
    std::ofstream(big).put('x');
    fs::resize_file(big, bottle::policy::max_public_suffix_file + 1);  // sparse
    EXPECT_TRUE(failed_with(load_public_suffixes(big), errc::limit_exceeded));
    const fs::path bad = dir.path() / "bad.dat";
    std::ofstream(bad) << "co.uk\na..rule\n";
    auto r = load_public_suffixes(bad);
    ASSERT_TRUE(failed_with(r, errc::parse_error));
    EXPECT_NE(r.error().message.find("bad.dat"), std::string::npos);
    EXPECT_NE(r.error().message.find("line 2"), std::string::npos);
}

}  // namespace
