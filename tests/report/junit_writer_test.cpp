#include "bottle/report/junit_writer.hpp"

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace {

namespace rep = bottle::report;

pugi::xml_document parse(const std::string& xml) {
    pugi::xml_document doc;
    auto r = doc.load_string(xml.c_str());
    EXPECT_TRUE(r) << r.description() << "\n" << xml;
    return doc;
}

rep::junit_report junit_sample() {
    rep::junit_report r("bottle-escape");
    r.add("net", {.classname = "escape.net", .name = "tcp4_direct", .status = rep::case_status::failure,
                  .message = "ESCAPED: sink saw the tag", .detail = "connected <203.0.113.10> & sent", .time_seconds = 0.25});
    r.add("fs", {.classname = "escape.fs", .name = "read_ssh_key", .status = rep::case_status::passed,
                 .message = "", .detail = "EACCES", .time_seconds = 0.5});
    r.add("net", {.classname = "escape.net", .name = "udp_dns", .status = rep::case_status::skipped,
                  .message = "N/A: no UDP in this profile", .detail = "", .time_seconds = 0});
    r.add("net", {.classname = "escape.net", .name = "metadata", .status = rep::case_status::error,
                  .message = "probe crashed", .detail = "signal 11", .time_seconds = 1});
    r.add("fs", {.classname = "escape.fs", .name = "quiet", .status = rep::case_status::passed});
    return r;
}

TEST(JunitWriter, DefaultCaseIsErrorNotPassed) {
    rep::test_case c;
    EXPECT_EQ(c.status, rep::case_status::error);
}

TEST(JunitWriter, OneSuitePerCategoryInFirstSeenOrderWithCounts) {
    auto xml = rep::to_junit_xml(junit_sample());
    ASSERT_TRUE(xml.has_value()) << xml.error().describe();
    EXPECT_EQ(xml->rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0), 0u);
    auto doc = parse(*xml);
    auto root = doc.child("testsuites");
    ASSERT_TRUE(root);
    EXPECT_STREQ(root.attribute("name").value(), "bottle-escape");
    EXPECT_EQ(root.attribute("tests").as_int(), 5);
    EXPECT_EQ(root.attribute("failures").as_int(), 1);
    EXPECT_EQ(root.attribute("errors").as_int(), 1);
    EXPECT_EQ(root.attribute("skipped").as_int(), 1);
    EXPECT_STREQ(root.attribute("time").value(), "1.750");

    auto net = root.child("testsuite");
    ASSERT_TRUE(net);
    EXPECT_STREQ(net.attribute("name").value(), "net");
    EXPECT_EQ(net.attribute("tests").as_int(), 3);
    EXPECT_EQ(net.attribute("failures").as_int(), 1);
    EXPECT_EQ(net.attribute("errors").as_int(), 1);
    EXPECT_EQ(net.attribute("skipped").as_int(), 1);
    auto fs = net.next_sibling("testsuite");
    ASSERT_TRUE(fs);
    EXPECT_STREQ(fs.attribute("name").value(), "fs");
    EXPECT_EQ(fs.attribute("tests").as_int(), 2);
    EXPECT_EQ(fs.attribute("failures").as_int() + fs.attribute("errors").as_int() + fs.attribute("skipped").as_int(), 0);
    EXPECT_FALSE(fs.next_sibling("testsuite"));

    int cases = 0;
    for (auto s : root.children("testsuite"))
        for ([[maybe_unused]] auto c : s.children("testcase")) ++cases;
    EXPECT_EQ(cases, 5);
}

TEST(JunitWriter, CaseElementsCarryStatusMessageAndDetail) {
    auto doc = parse(rep::to_junit_xml(junit_sample()).value());
    auto net = doc.child("testsuites").find_child_by_attribute("testsuite", "name", "net");
    auto tcp = net.find_child_by_attribute("testcase", "name", "tcp4_direct");
    ASSERT_TRUE(tcp);
    EXPECT_STREQ(tcp.attribute("classname").value(), "escape.net");
    EXPECT_STREQ(tcp.attribute("time").value(), "0.250");
    auto failure = tcp.child("failure");
    ASSERT_TRUE(failure);
    EXPECT_STREQ(failure.attribute("message").value(), "ESCAPED: sink saw the tag");
    EXPECT_STREQ(failure.attribute("type").value(), "failure");
    EXPECT_STREQ(failure.text().get(), "connected <203.0.113.10> & sent");  // escaped on write, intact on read
    EXPECT_FALSE(tcp.child("error"));

    auto udp = net.find_child_by_attribute("testcase", "name", "udp_dns");
    ASSERT_TRUE(udp.child("skipped"));
    EXPECT_STREQ(udp.child("skipped").attribute("message").value(), "N/A: no UDP in this profile");
    EXPECT_FALSE(udp.child("failure"));

    auto md = net.find_child_by_attribute("testcase", "name", "metadata");
    ASSERT_TRUE(md.child("error"));
    EXPECT_STREQ(md.child("error").text().get(), "signal 11");

    auto fs = doc.child("testsuites").find_child_by_attribute("testsuite", "name", "fs");
    auto key = fs.find_child_by_attribute("testcase", "name", "read_ssh_key");
    EXPECT_FALSE(key.child("failure"));
    EXPECT_FALSE(key.child("skipped"));
    EXPECT_STREQ(key.child("system-out").text().get(), "EACCES");
    auto quiet = fs.find_child_by_attribute("testcase", "name", "quiet");
    EXPECT_FALSE(quiet.first_child()) << "a passed case without detail has no children";
}

TEST(JunitWriter, HostileTextStaysWellFormed) {
    rep::junit_report r("x");
    static constexpr char raw[] = "nul\0bell\x07 esc\x1b bad\xff\xfe utf8 ok\xc3\xa9 ]]> </failure>";
    const std::string nasty(raw, sizeof raw - 1);
    r.add("s", {.classname = "c", .name = "n\x01", .status = rep::case_status::failure, .message = nasty,
                .detail = nasty, .time_seconds = 0});
    auto xml = rep::to_junit_xml(r);
    ASSERT_TRUE(xml.has_value());
    auto doc = parse(*xml);
    auto tc = doc.child("testsuites").child("testsuite").child("testcase");
    EXPECT_STREQ(tc.attribute("name").value(), "n\\x01");
    const std::string msg = tc.child("failure").attribute("message").value();
    EXPECT_NE(msg.find("nul\\x00bell\\x07 esc\\x1b bad\xEF\xBF\xBD\xEF\xBF\xBD utf8 ok\xc3\xa9 ]]> </failure>"),
              std::string::npos)
        << msg;
    EXPECT_EQ(std::string(tc.child("failure").text().get()), msg);
}

TEST(JunitWriter, RejectsEmptyNamesAndBadTimes) {
    rep::junit_report a("x");
    a.add("", {.name = "n", .status = rep::case_status::passed});
    EXPECT_TRUE(bottle::failed_with(rep::to_junit_xml(a), bottle::errc::invalid_argument));

    rep::junit_report b("x");
    b.add("s", {.name = "", .status = rep::case_status::passed});
    EXPECT_TRUE(bottle::failed_with(rep::to_junit_xml(b), bottle::errc::invalid_argument));

    for (double t : {-1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
        rep::junit_report c("x");
        c.add("s", {.name = "n", .status = rep::case_status::passed, .time_seconds = t});
        auto res = rep::to_junit_xml(c);
        ASSERT_TRUE(res.has_error()) << t;
        EXPECT_NE(res.error().message.find("'n'"), std::string::npos);
    }
}

TEST(JunitWriter, EmptyReportIsValid) {
    auto doc = parse(rep::to_junit_xml(rep::junit_report("empty")).value());
    EXPECT_EQ(doc.child("testsuites").attribute("tests").as_int(), 0);
    EXPECT_FALSE(doc.child("testsuites").child("testsuite"));
}

}  // namespace
