#include "bottle/report/finding.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

using bottle::report::finding;
using bottle::report::severity;

TEST(Finding, DefaultIsCriticalNotInfo) {
    finding f;
    EXPECT_EQ(f.severity, severity::critical);
    EXPECT_TRUE(f.evidence.is_null());
}

TEST(Finding, WorstAndCount) {
    std::vector<finding> fs{{.id = "a", .severity = severity::low},
                            {.id = "b", .severity = severity::high},
                            {.id = "c", .severity = severity::medium}};
    EXPECT_EQ(bottle::report::worst_severity(fs), severity::high);
    EXPECT_EQ(bottle::report::count_at_least(fs, severity::medium), 2u);
    EXPECT_EQ(bottle::report::count_at_least(fs, severity::critical), 0u);
    EXPECT_EQ(bottle::report::count_at_least(fs, severity::info), 3u);
    EXPECT_FALSE(bottle::report::worst_severity(std::vector<finding>{}).has_value());
}

TEST(Finding, SortMostSevereFirstThenIdThenSubject) {
    std::vector<finding> fs{{.id = "z", .severity = severity::low, .subject = "1"},
                            {.id = "b", .severity = severity::critical, .subject = "2"},
                            {.id = "a", .severity = severity::low, .subject = "9"},
                            {.id = "a", .severity = severity::low, .subject = "3"}};
    bottle::report::sort_for_report(fs);
    ASSERT_EQ(fs.size(), 4u);
    EXPECT_EQ(fs[0].id, "b");
    EXPECT_EQ(fs[1].id, "a");
    EXPECT_EQ(fs[1].subject, "3");
    EXPECT_EQ(fs[2].subject, "9");
    EXPECT_EQ(fs[3].id, "z");
}

TEST(Finding, EvidenceMayBeStructured) {
    finding f{.id = "smolvm.unrestricted_egress", .severity = severity::critical, .subject = "vm agent1"};
    f.evidence = boost::json::value{{"allowed_cidrs", nullptr}};
    ASSERT_TRUE(f.evidence.is_object());
    EXPECT_TRUE(f.evidence.as_object().at("allowed_cidrs").is_null());
    finding g = f;
    EXPECT_EQ(f, g);
    g.evidence = "text";
    EXPECT_NE(f, g);
}

}  // namespace
