#include "bottle/report/text_writer.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace {

namespace rep = bottle::report;

TEST(TextWriter, ColourPolicy) {
    EXPECT_TRUE(rep::colour_wanted(true, std::nullopt, std::nullopt));
    EXPECT_TRUE(rep::colour_wanted(true, std::nullopt, "xterm-256color"));
    EXPECT_TRUE(rep::colour_wanted(true, "", "xterm"));  // empty NO_COLOR does not count
    EXPECT_FALSE(rep::colour_wanted(false, std::nullopt, "xterm"));
    EXPECT_FALSE(rep::colour_wanted(true, "1", "xterm"));
    EXPECT_FALSE(rep::colour_wanted(true, std::nullopt, "dumb"));
}

TEST(TextWriter, PaintOnlyWithColour) {
    EXPECT_EQ(rep::paint("x", rep::text_colour::red, {.colour = false}), "x");
    EXPECT_EQ(rep::paint("x", rep::text_colour::red, {.colour = true}), "\x1b[1;31mx\x1b[0m");
}

TEST(TextWriter, PrintableEscapesControlBytes) {
    EXPECT_EQ(rep::printable("a\x1b[2Jb\nc\x7f"), "a\\x1b[2Jb\\x0ac\\x7f");
    EXPECT_EQ(rep::printable("caf\xc3\xa9"), "caf\xc3\xa9");
}

std::vector<rep::check_result> checks_sample() {
    return {{.id = "native.userns", .category = "native", .title = "t", .status = rep::check_status::ok,
             .found = "max_user_namespaces=10", .remedy = "never shown"},
            {.id = "smolvm.kvm", .category = "smolmachines", .title = "t", .status = rep::check_status::fail,
             .found = "/dev/kvm missing\x1b]0;pwn\x07", .remedy = "sudo modprobe kvm_intel"},
            {.id = "docker.runsc", .category = "docker", .title = "t", .status = rep::check_status::warn,
             .found = "runc only", .remedy = "install gVisor"}};
}

TEST(TextWriter, ChecksPlainTextOneLineEachWithRemediesAndSummary) {
    std::ostringstream out;
    rep::write_checks(out, checks_sample(), {.colour = false});
    const std::string text = out.str();
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << "no escape sequences without colour";
    EXPECT_NE(text.find("ok    native.userns  max_user_namespaces=10\n"), std::string::npos) << text;
    EXPECT_NE(text.find("FAIL  smolvm.kvm     /dev/kvm missing\\x1b]0;pwn\\x07\n"), std::string::npos) << text;
    EXPECT_NE(text.find("      remedy: sudo modprobe kvm_intel\n"), std::string::npos) << text;
    EXPECT_NE(text.find("WARN  docker.runsc   runc only\n      remedy: install gVisor\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("never shown"), std::string::npos) << "ok checks show no remedy";
    EXPECT_NE(text.find("1 ok, 1 warn, 1 fail\n"), std::string::npos);
}

TEST(TextWriter, ChecksColouredOnlyInStatusAndLabel) {
    std::ostringstream out;
    rep::write_checks(out, checks_sample(), {.colour = true});
    const std::string text = out.str();
    EXPECT_NE(text.find("\x1b[1;31mFAIL\x1b[0m"), std::string::npos);
    EXPECT_NE(text.find("\x1b[1;33mWARN\x1b[0m"), std::string::npos);
    EXPECT_NE(text.find("\x1b[32mok\x1b[0m"), std::string::npos);
    // The hostile found text is still neutralised.
    EXPECT_EQ(text.find("\x1b]0;pwn"), std::string::npos);
}

TEST(TextWriter, Finding) {
    rep::finding f{.id = "smolvm.unrestricted_egress", .severity = rep::severity::critical, .subject = "vm agent1",
                   .message = "allowed_cidrs is null", .remedy = "bottle-run enforce agent1"};
    f.evidence = boost::json::value{{"allowed_cidrs", nullptr}};
    std::ostringstream out;
    rep::write_finding(out, f, {.colour = false});
    EXPECT_EQ(out.str(),
              "CRITICAL smolvm.unrestricted_egress vm agent1: allowed_cidrs is null\n"
              "  evidence: {\"allowed_cidrs\":null}\n"
              "  remedy: bottle-run enforce agent1\n");
    std::ostringstream coloured;
    rep::write_finding(coloured, f, {.colour = true});
    EXPECT_EQ(coloured.str().rfind("\x1b[1;31mCRITICAL\x1b[0m", 0), 0u);
}

}  // namespace
