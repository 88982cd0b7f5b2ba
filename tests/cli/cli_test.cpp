#include "common/cli.hpp"

#include "bottle-audit/audit_cli.hpp"
#include "bottle-preflight/preflight.hpp"
#include "support/fake_probes.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace {

using bottle::cli::outcome;

struct parsed {
    bottle::result<outcome> r;
    std::string db;
    std::vector<std::string> many;
    bool json = false;
};

parsed parse(const std::vector<std::string>& args) {
    parsed p{outcome::run, {}, {}, false};
    auto app_ptr = bottle::cli::make_app("bottle-x", "test");
    auto& app = *app_ptr;
    bottle::cli::add_once(app, "--db", p.db, "db");
    bottle::cli::add_flag(app, "--json", p.json, "json");
    app.add_option("--many", p.many, "repeatable");
    p.r = bottle::cli::parse(app, args);
    return p;
}

std::string message(const std::vector<std::string>& args) {
    auto p = parse(args);
    return p.r ? std::string("(parsed)") : p.r.error().message;
}

TEST(Cli, ParsesValuesFlagsAndRepeatableOptions) {
    auto p = parse({"--db", "a.db", "--json", "--many", "x", "--many=y"});
    ASSERT_TRUE(p.r.has_value()) << p.r.error().message;
    EXPECT_EQ(*p.r, outcome::run);
    EXPECT_EQ(p.db, "a.db");
    EXPECT_TRUE(p.json);
    EXPECT_EQ(p.many, (std::vector<std::string>{"x", "y"}));
    auto eq = parse({"--db=b.db"});
    ASSERT_TRUE(eq.r.has_value());
    EXPECT_EQ(eq.db, "b.db");
}

TEST(Cli, UsageErrorsHaveOneWording) {
    EXPECT_EQ(message({"--frobnicate"}), "unknown option '--frobnicate'");
    EXPECT_EQ(message({"--frobnicate=3"}), "unknown option '--frobnicate'");
    EXPECT_EQ(message({"stray"}), "unexpected argument 'stray'");
    EXPECT_EQ(message({"--db"}), "--db needs a value");
    EXPECT_EQ(message({"--db="}), "--db needs a value");
    EXPECT_EQ(message({"--db", ""}), "--db needs a value");
    EXPECT_EQ(message({"--db", "a", "--db", "b"}), "--db was given twice");
    EXPECT_EQ(message({"--json", "--json"}), "--json was given twice");
    EXPECT_EQ(parse({"--frobnicate"}).r.error().code, bottle::make_error_code(bottle::errc::invalid_argument));
}

TEST(Cli, HelpAndVersionAreOutcomesNotErrors) {
    EXPECT_EQ(parse({"--help"}).r.value(), outcome::help);
    EXPECT_EQ(parse({"-h"}).r.value(), outcome::help);
    EXPECT_EQ(parse({"--version"}).r.value(), outcome::version);
}

TEST(Cli, UsageFailurePrintsToolMessageAndUsageAndExitsTwo) {
    std::ostringstream err;
    const int code = bottle::cli::usage_failure(err, "bottle-x", bottle::make_error(bottle::errc::invalid_argument, "boom"), "usage: x\n");
    EXPECT_EQ(code, 2);
    EXPECT_EQ(err.str(), "bottle-x: boom\n\nusage: x\n");
}

// Every tool answers the same wrong input with the same words and exit 2.
TEST(Cli, ToolsShareTheWording) {
    const std::vector<std::vector<std::string>> bad{{"--frobnicate"}, {"--json", "--json"}};
    for (const auto& args : bad) {
        std::ostringstream out1, err1, out2, err2;
        auto audit_args = args;
        audit_args.insert(audit_args.begin(), "smolvm");
        const int audit = bottle::audit::run_audit(audit_args, bottle::smolvm::env_from_map({}), out1, err1, false);
        bottle::preflight::testing::fake_probes probes;
        const int preflight = bottle::preflight::run_preflight(args, probes, out2, err2, false);
        EXPECT_EQ(audit, 2);
        EXPECT_EQ(preflight, 2);
        const auto first_line = [](const std::string& s) { return s.substr(s.find(": ") + 2, s.find('\n') - s.find(": ") - 2); };
        EXPECT_EQ(first_line(err1.str()), first_line(err2.str())) << err1.str() << err2.str();
        EXPECT_TRUE(probes.ran.empty());
    }
    std::ostringstream out, err;
    bottle::preflight::testing::fake_probes probes;
    EXPECT_EQ(bottle::preflight::run_preflight({"--version"}, probes, out, err, false), 0);
    EXPECT_EQ(out.str().rfind("bottle-preflight ", 0), 0u) << out.str();
}

}  // namespace
