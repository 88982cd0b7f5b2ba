// What the docker plan tests share: a root host and readers of the plan's JSON.
#pragma once

#include "bottle-run/backends/docker/plan.hpp"
#include "bottle-run/host_facts.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace bottle::test_support::docker_plan {

/// Root on a host with Landlock 7 and writable cgroup v1: the plan's usual host.
inline run::host_facts root_host() {
    run::host_facts f;
    f.euid = 0;
    f.landlock_abi = 7;
    f.cgroups = run::cgroup_version::v1;
    f.cgroup_writable = true;
    f.home = "/root";
    return f;
}

/// The request every plan test starts from: an agent image, the sidecar's
/// image, a launcher label.
inline run::docker::docker_request request() {
    run::docker::docker_request r;
    r.image = "agent:dev";
    r.sidecar_image = "bot-bottle/egress:0123456789abcdef";
    r.launcher = "boot-1/4242";
    return r;
}

/// A JSON array of strings.
inline std::vector<std::string> strings(const boost::json::value& v) {
    std::vector<std::string> out;
    for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
    return out;
}

inline bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace bottle::test_support::docker_plan
