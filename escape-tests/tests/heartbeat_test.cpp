#include "lab/heartbeat.hpp"

#include "lab/lab_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace {

using namespace bottle::escape;
const std::string hb_nonce = "0123456789ab";

// The records a phase leaves when every sink answers.
std::vector<protocol::lab_event> all_answered(const std::string& phase) {
    std::vector<protocol::lab_event> events;
    for (const auto& want : lab::heartbeat_expectations()) {
        if (want.sink == "host.canary_process")
            events.push_back({want.sink, "signal", "bbxc-01234567", "pid 1",
                              "User defined signal 2 si_code=SI_QUEUE value=" + std::to_string(lab::heartbeat_signal_value(hb_nonce, phase))});
        else
            events.push_back({want.sink, "tcp", want.local.empty() ? "bbxw0" : want.local, "p", "x" + lab::heartbeat_tag(hb_nonce, phase)});
    }
    return events;
}

TEST(Heartbeat, EverySinkThatAnsweredIsFoundAndAMissingOneIsNamed) {
    auto events = all_answered("pre");
    EXPECT_TRUE(lab::missing_heartbeats(events, hb_nonce, "pre").empty());
    EXPECT_EQ(lab::missing_heartbeats(events, hb_nonce, "post").size(), lab::heartbeat_expectations().size())
        << "a pre heartbeat is not a post one";
    const auto world443 = std::find_if(events.begin(), events.end(), [](const auto& e) { return e.local == "203.0.113.10:443"; });
    ASSERT_NE(world443, events.end());
    events.erase(world443);
    EXPECT_EQ(lab::missing_heartbeats(events, hb_nonce, "pre"), (std::vector<std::string>{"world.tcp 203.0.113.10:443"}));
}

TEST(Heartbeat, TheCanarysHeartbeatIsNeverAProbesSignal) {
    EXPECT_NE(lab::heartbeat_signal_value(hb_nonce, "pre"), lab::canary_signal_value(hb_nonce));
    EXPECT_NE(lab::heartbeat_signal_value(hb_nonce, "post"), lab::canary_signal_value(hb_nonce));
    EXPECT_NE(lab::heartbeat_signal_value(hb_nonce, "pre"), lab::heartbeat_signal_value(hb_nonce, "post"));
    auto events = all_answered("pre");
    for (auto& e : events)
        if (e.sink == "host.canary_process") e.data = "Interrupt si_code=SI_USER value=none";
    EXPECT_EQ(lab::missing_heartbeats(events, hb_nonce, "pre"), (std::vector<std::string>{"host.canary_process"}));
}

}  // namespace
