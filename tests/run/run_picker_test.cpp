// The launch picker: its model driven key by key, the lists built from a
// manifest, and the real thing driven through a pseudo-terminal (keys in,
// the chosen launch checked with --dry-run).
#include "bottle-run/picker.hpp"

#include "support/temp_dir.hpp"

#include "bottle_run_process.hpp"

#include "bottle/manifest/parse.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace bottle::run;
using bottle::test_support::temp_dir;

picker_model sample(std::vector<std::string> preset = {}) {
    return picker_model({{"coder", "provider claude", {"dev"}}, {"Reviewer", "provider codex", {}}, {"tester", "", {"dev", "gpu"}}},
                        {{"base", "base"}, {"dev", "dev <- base"}, {"gpu", "gpu <- base"}}, preset, !preset.empty());
}

void type(picker_model& p, const std::string& s) {
    for (char c : s) p.press(picker_key::text, c);
}

TEST(PickerModel, FilterIsCaseInsensitiveAndEnterPicksTheHighlightedAgent) {
    auto p = sample();
    EXPECT_EQ(p.visible_agents().size(), 3u);
    type(p, "ER");
    ASSERT_EQ(p.visible_agents().size(), 3u) << "coder, Reviewer, tester all contain er";
    p.press(picker_key::backspace);
    type(p, "st");
    ASSERT_EQ(p.visible_agents().size(), 1u);
    EXPECT_EQ(p.visible_agents()[0]->name, "tester");
    p.press(picker_key::backspace);
    p.press(picker_key::backspace);
    EXPECT_EQ(p.filter(), "E");
    type(p, "v");
    ASSERT_EQ(p.visible_agents().size(), 1u);
    p.press(picker_key::enter);
    EXPECT_EQ(p.screen(), picker_screen::bottles);
    EXPECT_EQ(p.agent(), "Reviewer");
    EXPECT_TRUE(p.chosen_bottles().empty()) << "Reviewer has no bottle list";
    // Nothing matching: Enter does nothing.
    auto q = sample();
    type(q, "zzz");
    q.press(picker_key::enter);
    EXPECT_EQ(q.screen(), picker_screen::agents);
}

TEST(PickerModel, BottlesArePreselectedTogglableAndReorderable) {
    auto p = sample();
    p.press(picker_key::down);
    p.press(picker_key::down);
    p.press(picker_key::enter);
    ASSERT_EQ(p.agent(), "tester");
    EXPECT_EQ(p.chosen_bottles(), (std::vector<std::string>{"dev", "gpu"})) << "pre-selected from the agent's list";
    auto rows = p.bottle_rows();
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0]->name, "dev");
    EXPECT_EQ(rows[2]->name, "base") << "chosen first, in order, then the rest";
    p.press(picker_key::down);       // on gpu
    p.press(picker_key::move_up);    // gpu before dev
    EXPECT_EQ(p.chosen_bottles(), (std::vector<std::string>{"gpu", "dev"}));
    EXPECT_EQ(p.cursor(), 0u) << "the cursor follows the moved bottle";
    p.press(picker_key::move_up);    // already first
    EXPECT_EQ(p.chosen_bottles(), (std::vector<std::string>{"gpu", "dev"}));
    p.press(picker_key::down);
    p.press(picker_key::space);      // drop dev
    EXPECT_EQ(p.chosen_bottles(), (std::vector<std::string>{"gpu"}));
    p.press(picker_key::down);
    p.press(picker_key::down);
    p.press(picker_key::space);      // add whatever is last: appended
    EXPECT_EQ(p.chosen_bottles().size(), 2u);
    p.press(picker_key::enter);
    EXPECT_EQ(p.screen(), picker_screen::done);
}

TEST(PickerModel, ALaunchChoiceReplacesTheAgentsListAndEscapeCancels) {
    auto p = sample({"gpu"});
    p.press(picker_key::enter);  // coder, whose own list is dev
    EXPECT_EQ(p.chosen_bottles(), (std::vector<std::string>{"gpu"}));
    p.press(picker_key::escape);
    EXPECT_EQ(p.screen(), picker_screen::cancelled);
}

const char* manifest_text = R"({"bottles": {"base": {"env": {"A": "1"}}, "node": {"extends": "base", "env": {"B": "2"}},
                                "dev": {"extends": "node", "egress": [{"host": "example.org", "ports": [443]}]},
                                "gpu": {"env": {"G": "1"}}},
                    "agents": {"coder": {"bottle": "dev", "command": ["sh"]},
                               "tester": {"bottle": ["dev", "gpu"], "command": ["sh", "-c", "true"]}}})";

TEST(Picker, ListsComeFromTheManifestWithLineageLabels) {
    temp_dir d{"bottle-run-picker"};
    std::ofstream(d.path() / "m.json") << manifest_text;
    auto m = bottle::manifest::load_manifest((d.path() / "m.json").string());
    ASSERT_TRUE(m) << m.error().message;
    auto p = make_picker(*m, {});
    ASSERT_EQ(p.visible_agents().size(), 2u);
    EXPECT_EQ(p.visible_agents()[1]->bottles, (std::vector<std::string>{"dev", "gpu"}));
    p.press(picker_key::enter);
    std::string label;
    for (const auto* b : p.bottle_rows())
        if (b->name == "dev") label = b->label;
    EXPECT_EQ(label, "dev <- node <- base");
    auto text = describe_choice(*m, {"dev", "gpu"});
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(text->rfind("lineage: base -> node -> dev -> gpu\n", 0), 0u) << *text;
    EXPECT_NE(text->find("\"G\": \"1\""), std::string::npos) << *text;
}

/// Runs bottle-run on a new pty, waits for `ready` in its output before
/// sending each key string, and returns everything it wrote and its status.
struct pty_run {
    std::string output;
    int code = -1;
};

pty_run drive(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& steps) {
    pty_run r;
    int master = -1;
    winsize ws{24, 100, 0, 0};
    const pid_t pid = ::forkpty(&master, nullptr, nullptr, &ws);
    if (pid < 0) return r;
    if (pid == 0) {
        std::vector<std::string> argv{bottle::test_support::bottle_run_binary};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<char*> cargv;
        for (auto& a : argv) cargv.push_back(a.data());
        cargv.push_back(nullptr);
        char* envp[] = {const_cast<char*>("TERM=xterm"), const_cast<char*>("PATH=/usr/bin:/bin"),
                        const_cast<char*>("HOME=/nonexistent"), const_cast<char*>("BOT_BOTTLE_CLAUDE_OAUTH_TOKEN=test-token"), nullptr};
        ::execve(cargv[0], cargv.data(), envp);
        _exit(127);
    }
    // Waits for `want` in the output (curses redraws only what changed, so
    // wait for whole words a screen writes once); "" drains until EOF.
    auto read_until = [&](const std::string& want, int ms) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        while (want.empty() || r.output.find(want) == std::string::npos) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
            if (left <= 0) return false;
            pollfd p{master, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
            char buf[4096];
            const ssize_t n = ::read(master, buf, sizeof buf);
            if (n <= 0) return want.empty();
            r.output.append(buf, static_cast<std::size_t>(n));
        }
        return true;
    };
    for (const auto& [ready, keys] : steps) {
        if (!read_until(ready, 5000)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(150));  // let the picker take the last keys
        (void)::write(master, keys.data(), keys.size());
    }
    read_until("", 10000);  // to EOF
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(pid, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (::waitpid(pid, &status, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    ::close(master);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

/// The --dry-run plan in the pty's output: the line that starts it.
json::value plan_in(const std::string& out) {
    const auto at = out.find("{\"schema\":\"bot-bottle/run-plan/v1\"");
    if (at == std::string::npos) return nullptr;
    const auto end = out.find('\n', at);
    std::string line = out.substr(at, end == std::string::npos ? std::string::npos : end - at);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    return ec ? json::value(nullptr) : v;
}

class PickerPty : public ::testing::Test {
protected:
    temp_dir d{"bottle-run-picker"};
    void SetUp() override {
        if (!fs::exists(bottle::test_support::bottle_run_binary)) GTEST_SKIP() << "build bottle-run first";
        std::ofstream(d.path() / "m.json") << manifest_text;
    }
};

TEST_F(PickerPty, ChoosesAnAgentAndReordersItsBottles) {
    // Filter to "tes", Enter; on the bottle screen gpu (2nd) moves first; Enter.
    // (Keys as xterm sends them in keypad mode: Down is ESC O B.)
    auto r = drive({"--manifest", (d.path() / "m.json").string(), "--dry-run", "agent"},
                   {{"choose an agent", "tes"}, {"filter:", "\r"}, {"bottles for tester", "\x1bOB["}, {"gpu", "\r"}});
    ASSERT_EQ(r.code, 0) << r.output;
    const auto plan = plan_in(r.output);
    ASSERT_TRUE(plan.is_object()) << r.output;
    EXPECT_EQ(plan.at("bottle").at("name").as_string(), "gpu+dev") << r.output;
    EXPECT_EQ(plan.at("argv").as_array().back().as_string(), "true");
    EXPECT_NE(r.output.find("lineage: gpu -> base -> node -> dev"), std::string::npos) << r.output;
}

TEST_F(PickerPty, NoCommandOnATerminalAlsoPicksAndSpaceDeselects) {
    // bottle-run with no command: coder (first), its dev pre-selected; Space
    // drops it (rows back in manifest order: base node dev gpu), down to the
    // last row, gpu, Space chooses it.
    auto r = drive({"--manifest", (d.path() / "m.json").string(), "--dry-run"},
                   {{"choose an agent", "\r"}, {"bottles for coder", " "}, {"[ ]", "\x1bOB\x1bOB\x1bOB "}, {"[x] 1", "\r"}});
    ASSERT_EQ(r.code, 0) << r.output;
    const auto plan = plan_in(r.output);
    ASSERT_TRUE(plan.is_object()) << r.output;
    EXPECT_EQ(plan.at("argv").as_array().back().as_string(), "sh") << "coder's command";
    EXPECT_EQ(plan.at("bottle").at("name").as_string(), "gpu") << r.output;
}

TEST_F(PickerPty, EscapeCancelsAndStartsNothing) {
    auto r = drive({"--manifest", (d.path() / "m.json").string(), "agent"}, {{"choose an agent", "\x1b"}});
    EXPECT_EQ(r.code, 125) << r.output;
    EXPECT_NE(r.output.find("cancelled, nothing was started"), std::string::npos) << r.output;
}

TEST(PickerNoTerminal, AMissingChoiceIsAUsageError) {
    temp_dir d{"bottle-run-picker"};
    std::ofstream(d.path() / "m.json") << manifest_text;
    if (!fs::exists(bottle::test_support::bottle_run_binary)) GTEST_SKIP() << "build bottle-run first";
    auto r = bottle::test_support::run_bottle_run({"--manifest", (d.path() / "m.json").string(), "agent"}, {"PATH=/usr/bin:/bin", "TERM=xterm"});
    EXPECT_EQ(r.code, 125);
    EXPECT_NE(r.err.find("agent needs an agent NAME"), std::string::npos) << r.err;
    EXPECT_TRUE(parse_arguments({"agent"}, true)->pick);
    EXPECT_TRUE(parse_arguments({}, true)->pick);
    EXPECT_FALSE(parse_arguments({"agent", "x"}, true)->pick);
    EXPECT_FALSE(parse_arguments({"agent"}, false));
}

}  // namespace
