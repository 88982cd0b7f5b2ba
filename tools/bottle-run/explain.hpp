// tools/bottle-run/explain.hpp — which protections this host gives a bottle.
//
// A pure function of host_facts, so each line is tested with hand-made
// facts: every protection is "active", "partial" or "missing", with why and,
// when missing, what to do.
#pragma once

#include "bottle-run/host_facts.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace bottle::run {

struct protection {
    std::string name;    ///< user-namespaces, seccomp, landlock-fs, landlock-tcp, landlock-scopes, resources
    std::string status;  ///< active | partial | missing
    std::string why;
    std::string remedy{};
};

[[nodiscard]] std::vector<protection> explain(const host_facts& facts);
[[nodiscard]] std::string explain_text(const std::vector<protection>& list);
[[nodiscard]] boost::json::value explain_json(const std::vector<protection>& list);

}  // namespace bottle::run
