#include "runner/gc.hpp"

#include <gtest/gtest.h>

namespace {

using namespace bottle::escape;

TEST(Gc, NamespacesWithoutALiveRunAreStaleWhateverTheDirectoriesSay) {
    const auto plan = plan_gc({"bbx-0123abcd-lab", "bbx-0123abcd-world",   // live run
                               "bbx-deadbeef-lab", "bbx-deadbeef-world",   // its run directory's owner died
                               "bbx-feedface-lab",                         // killed before its directory existed
                               "bbx-0123abcd-other", "bbx-XYZ12345-lab",   // not the harness's names
                               "docker-net", "bbx-0123abcd-lab-extra"},
                              {{"run-0123abcd4567", true}, {"run-deadbeef0000", false}, {"notes", false}});
    EXPECT_EQ(plan.namespaces, (std::vector<std::string>{"bbx-deadbeef-lab", "bbx-deadbeef-world", "bbx-feedface-lab"}));
    EXPECT_EQ(plan.run_dirs, (std::vector<std::string>{"run-deadbeef0000"}));
}

TEST(Gc, NothingIsStaleWhenEveryRunIsAlive) {
    const auto plan = plan_gc({"bbx-0123abcd-lab"}, {{"run-0123abcd4567", true}});
    EXPECT_TRUE(plan.namespaces.empty());
    EXPECT_TRUE(plan.run_dirs.empty());
}

}  // namespace
