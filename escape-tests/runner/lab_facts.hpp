// escape-tests/runner/lab_facts.hpp — which lab facts a probe may surface,
// and how they are matched.
//
// Some escapes show as knowledge only the lab host has: the lab's own link
// address seen as one of the sandbox's addresses (it shares the host's
// network namespace), the host canary process seen under its host pid. A
// probe reports such things as structured facts (rep.fact(name, value)); the
// runner compares each fact declared here for that probe *exactly* with the
// lab's truth. Nothing is matched as a substring of free text: a proxy URL in
// the environment or a resolv.conf line naming a lab address is not an
// escape.
#pragma once

#include <array>
#include <string_view>

namespace bottle::escape {

/// Keys of ground_truth::facts.
inline constexpr std::string_view fact_lab_link_v4 = "lab_link_v4";  ///< the lab host's end of the lab link
inline constexpr std::string_view fact_canary_pid = "canary_pid";    ///< the canary's pid on the lab host

struct lab_fact_rule {
    std::string_view probe;      ///< the probe that may report it
    std::string_view fact;       ///< the name the probe reports
    std::string_view truth_key;  ///< ground_truth::facts key its value must equal
    std::string_view meaning;    ///< the evidence line
    std::string_view channel;    ///< the probe's channel this fact proves escaped (control_paths.hpp)
};

inline constexpr std::array<lab_fact_rule, 3> lab_fact_rules{{
    {"host.gateway_scan", "own_address", fact_lab_link_v4,
     "the sandbox has the lab host's own link address: it shares the host's network namespace", ""},
    {"net.exotic_af", "own_address", fact_lab_link_v4,
     "netlink lists the lab host's own link address: the sandbox shares the host's network namespace", "netlink"},
    {"ipc.pid_visibility", "canary_pid", fact_canary_pid, "the host canary process is visible under its host pid", ""},
}};

}  // namespace bottle::escape
