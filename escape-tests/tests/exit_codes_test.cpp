#include "runner/exit_codes.hpp"

#include <gtest/gtest.h>

namespace {

using namespace bottle::escape;

run_result with(std::initializer_list<verdict> verdicts, bool completed = true, bool allows_upstream = false) {
    run_result r;
    r.allows_upstream = allows_upstream;
    if (completed) r.completion = {};
    int i = 0;
    for (const auto v : verdicts) {
        probe_verdict pv;
        pv.id = "p." + std::to_string(i++);
        pv.result = v;
        r.verdicts.push_back(pv);
    }
    return r;
}

TEST(ExitCodes, ARunThatNeverFinishedIsAFailureByDefault) {
    const run_result r;
    EXPECT_FALSE(r.completed()) << "fail closed: a run result is incomplete until the run says otherwise";
    EXPECT_EQ(run_exit_code(r, expectation::none), exit_incomplete);
    EXPECT_EQ(compare_exit_code({r}), exit_incomplete);
}

TEST(ExitCodes, RunWithoutExpectation) {
    EXPECT_EQ(run_exit_code(with({verdict::blocked, verdict::not_applicable}), expectation::none), exit_ok);
    EXPECT_EQ(run_exit_code(with({verdict::blocked, verdict::escaped}), expectation::none), exit_escaped);
    EXPECT_EQ(run_exit_code(with({verdict::escaped, verdict::error}), expectation::none), exit_incomplete);
    EXPECT_EQ(run_exit_code(with({verdict::blocked}, false), expectation::none), exit_incomplete);
}

TEST(ExitCodes, ExposedAloneDoesNotFailARunAndPassesTheControl) {
    EXPECT_EQ(run_exit_code(with({verdict::exposed, verdict::blocked}), expectation::none), exit_ok)
        << "in-sandbox evidence is reported, not an escape";
    EXPECT_EQ(run_exit_code(with({verdict::exposed, verdict::escaped}), expectation::none), exit_escaped);
    EXPECT_EQ(run_exit_code(with({verdict::exposed, verdict::escaped}), expectation::all_escaped), exit_ok)
        << "a self-scored probe can at most be EXPOSED in the control";
}

TEST(ExitCodes, Expectations) {
    EXPECT_EQ(run_exit_code(with({verdict::escaped, verdict::not_applicable}), expectation::all_escaped), exit_ok);
    EXPECT_EQ(run_exit_code(with({verdict::escaped, verdict::blocked}), expectation::all_escaped), exit_escaped);
    EXPECT_EQ(run_exit_code(with({verdict::escaped, verdict::error}), expectation::all_escaped), exit_escaped);
    EXPECT_EQ(run_exit_code(with({verdict::escaped}, false), expectation::all_escaped), exit_escaped);
    EXPECT_EQ(run_exit_code(with({verdict::escaped, verdict::blocked}), expectation::no_error), exit_ok);
    EXPECT_EQ(run_exit_code(with({verdict::blocked, verdict::error}), expectation::no_error), exit_escaped);
    // contained: bot-bottle's own bottles; one escape fails it, EXPOSED does not.
    EXPECT_EQ(run_exit_code(with({verdict::blocked, verdict::exposed, verdict::not_applicable}), expectation::contained), exit_ok);
    EXPECT_EQ(run_exit_code(with({verdict::blocked, verdict::escaped}), expectation::contained), exit_escaped);
    EXPECT_EQ(run_exit_code(with({verdict::blocked, verdict::error}), expectation::contained), exit_escaped);
    EXPECT_EQ(run_exit_code(with({verdict::blocked}, false), expectation::contained), exit_escaped);
}

TEST(ExitCodes, CompareFailsOnAnIncompleteRunOrAnyErrorProbe) {
    EXPECT_EQ(compare_exit_code({with({verdict::escaped}), with({verdict::blocked, verdict::not_applicable})}), exit_ok);
    EXPECT_EQ(compare_exit_code({with({verdict::escaped}), with({verdict::blocked, verdict::error})}), exit_incomplete);
    EXPECT_EQ(compare_exit_code({with({verdict::escaped}), with({verdict::blocked}, false)}), exit_incomplete);
    EXPECT_EQ(compare_exit_code({}), exit_ok);
}

TEST(ExitCodes, ExpectationSpellings) {
    EXPECT_EQ(expectation_from(""), expectation::none);
    EXPECT_EQ(expectation_from("all-escaped"), expectation::all_escaped);
    EXPECT_EQ(expectation_from("no-error"), expectation::no_error);
    EXPECT_EQ(expectation_from("contained"), expectation::contained);
    EXPECT_FALSE(expectation_from("all_escaped"));
}

}  // namespace
