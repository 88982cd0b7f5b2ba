// bottle/manifest/agent.hpp — an agent and the bottle it runs in.
//
// An agent names its command, an optional prompt and skills, and optionally
// its bottles. The agent's `bottle` list only pre-selects the launch choice:
// the bottle an agent runs in is the runtime merge (resolve.hpp) of the
// bottles chosen at launch when there are any — replacing the agent's list,
// so a launch can drop the agent's own bottle — and of the agent's list
// otherwise.
#pragma once

#include "bottle/manifest/model.hpp"
#include "bottle/manifest/provider.hpp"
#include "bottle/manifest/resolve.hpp"
#include "bottle/manifest/schema.hpp"
#include "bottle/result.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::manifest {

/// An agent ready to launch.
struct agent_plan {
    std::string name;
    std::vector<std::string> command;  ///< never empty; command[0] is never empty (the agent's, else its provider's)
    std::string provider;              ///< the agent's `provider`, default "claude"
    std::optional<::bottle::manifest::provider> provider_spec;  ///< its template, when one was given for it
    std::string prompt;                ///< empty when the manifest gives none
    std::vector<std::string> skills;
    resolved_bottle bottle;            ///< the merged bottle (its lineage covers every bottle used)
};

/// The bottles agent definition `agent` pre-selects (its `bottle` name or
/// list; empty when it names none). A picker starts from these.
[[nodiscard]] inline std::vector<std::string> preselected_bottles(const boost::json::object& agent) {
    std::vector<std::string> out;
    if (const auto* b = agent.if_contains("bottle")) {
        if (b->is_string()) out.emplace_back(b->get_string());
        else if (b->is_array())
            for (const auto& n : b->get_array())
                if (n.is_string()) out.emplace_back(n.get_string());
    }
    return out;
}

/// The launch choice: `launch_bottles` when not empty (they replace the
/// agent's list), else the agent's pre-selection.
[[nodiscard]] inline std::vector<std::string> chosen_bottles(const boost::json::object& agent, std::span<const std::string> launch_bottles) {
    if (!launch_bottles.empty()) return {launch_bottles.begin(), launch_bottles.end()};
    return preselected_bottles(agent);
}

/// Resolves agent `name`: its definition, then the runtime merge of
/// chosen_bottles(definition, `launch_bottles`). The agent's provider
/// (default "claude") is looked up in `providers`; an agent without `command`
/// takes the template's. Errors: not_found (unknown agent or bottle; no
/// template for a provider the agent names or whose command it needs),
/// invalid_argument (no bottle named anywhere), and every error of
/// validate_agent and merge_bottles. Never throws.
[[nodiscard]] inline result<agent_plan> resolve_agent(const manifest& m, std::string_view name,
                                                      std::span<const std::string> launch_bottles = {},
                                                      const provider_set& providers = {}, const limits& lim = {}) noexcept {
    try {
        const auto* def = m.agents.if_contains(name);
        if (!def) return make_error(errc::not_found, "unknown agent \"" + std::string(name) + "\"");
        const std::string src = m.origin_of_agent(name);
        if (auto r = validate_agent(*def, src, detail::pointer_join("/agents", name), lim); !r) return r.error();
        const auto& o = def->get_object();
        agent_plan plan;
        plan.name = std::string(name);
        const auto* named = o.if_contains("provider");
        plan.provider = named ? std::string(named->get_string()) : std::string(default_provider);
        if (auto it = providers.find(plan.provider); it != providers.end()) plan.provider_spec = it->second;
        const auto* cmd = o.if_contains("command");
        if (!plan.provider_spec && (named || !cmd)) {
            std::string known;
            for (const auto& [k, v] : providers) known += (known.empty() ? "" : ", ") + k;
            return make_error(errc::not_found, src + ": " + detail::pointer_join("/agents", name) + ": no provider template \"" + plan.provider +
                                                   "\"" + (cmd ? "" : " to take the command from") + " (templates: " +
                                                   (known.empty() ? std::string("none loaded") : known) + ")");
        }
        if (cmd)
            for (const auto& arg : cmd->get_array()) plan.command.emplace_back(arg.get_string());
        else
            plan.command = plan.provider_spec->command;
        if (const auto* p = o.if_contains("prompt")) plan.prompt = std::string(p->get_string());
        if (const auto* s = o.if_contains("skills"))
            for (const auto& sk : s->get_array()) plan.skills.emplace_back(sk.get_string());
        const std::vector<std::string> bottles = chosen_bottles(o, launch_bottles);
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
