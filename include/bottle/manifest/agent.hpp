// bottle/manifest/agent.hpp — an agent and the bottle it runs in.
//
// An agent names its command, an optional prompt and skills, and optionally
// its bottles. The bottle an agent runs in is the runtime merge (resolve.hpp)
// of the agent's own bottles followed by those chosen at launch, so a launch
// choice overrides the agent's defaults by the usual merge rules.
#pragma once

#include "bottle/manifest/model.hpp"
#include "bottle/manifest/resolve.hpp"
#include "bottle/manifest/schema.hpp"
#include "bottle/result.hpp"

#include <boost/json/object.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::manifest {

/// An agent ready to launch.
struct agent_plan {
    std::string name;
    std::vector<std::string> command;  ///< never empty; command[0] is never empty
    std::string prompt;                ///< empty when the manifest gives none
    std::vector<std::string> skills;
    resolved_bottle bottle;            ///< the merged bottle (its lineage covers every bottle used)
};

/// Resolves agent `name`: its definition, then the runtime merge of its
/// `bottle` names followed by `launch_bottles`. Errors: not_found (unknown
/// agent or bottle), invalid_argument (no bottle named anywhere), and every
/// error of validate_agent and merge_bottles. Never throws.
[[nodiscard]] inline result<agent_plan> resolve_agent(const manifest& m, std::string_view name,
                                                      std::span<const std::string> launch_bottles = {},
                                                      const limits& lim = {}) noexcept {
    try {
        const auto* def = m.agents.if_contains(name);
        if (!def) return make_error(errc::not_found, "unknown agent \"" + std::string(name) + "\"");
        const std::string src = m.origin_of_agent(name);
        if (auto r = validate_agent(*def, src, detail::pointer_join("/agents", name), lim); !r) return r.error();
        const auto& o = def->get_object();
        agent_plan plan;
        plan.name = std::string(name);
        for (const auto& arg : o.at("command").get_array()) plan.command.emplace_back(arg.get_string());
        if (const auto* p = o.if_contains("prompt")) plan.prompt = std::string(p->get_string());
        if (const auto* s = o.if_contains("skills"))
            for (const auto& sk : s->get_array()) plan.skills.emplace_back(sk.get_string());
        std::vector<std::string> bottles;
        if (const auto* b = o.if_contains("bottle")) {
            if (b->is_string()) bottles.emplace_back(b->get_string());
            else
                for (const auto& n : b->get_array()) bottles.emplace_back(n.get_string());
        }
        bottles.insert(bottles.end(), launch_bottles.begin(), launch_bottles.end());
        if (bottles.empty())
            return make_error(errc::invalid_argument, src + ": " + detail::pointer_join("/agents", name) +
                                                          ": agent names no bottle; add \"bottle\" to it or choose one at launch");
        auto merged = merge_bottles(m, bottles, lim);
        if (!merged) return merged.error();
        plan.bottle = std::move(*merged);
        return plan;
    } catch (const std::bad_alloc&) {
        return make_error(errc::limit_exceeded, "agent: out of memory");
    } catch (const std::exception& e) {
        return make_error(errc::internal, std::string("agent: unexpected error: ") + e.what());
    }
}

}  // namespace bottle::manifest
