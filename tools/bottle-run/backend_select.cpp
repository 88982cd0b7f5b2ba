#include "bottle-run/backend_select.hpp"

#include "bottle/manifest/backend_choice.hpp"

namespace bottle::run {

result<std::string> select_backend(const std::optional<std::string>& flag, const std::optional<std::string>& env_value,
                                   const std::optional<std::string>& bottle_backend) {
    auto view = [](const std::optional<std::string>& s) -> std::optional<std::string_view> {
        if (!s) return std::nullopt;
        return std::string_view(*s);
    };
    auto c = manifest::choose_backend(view(flag), view(env_value), view(bottle_backend));
    if (!c) return c.error();
    const std::string name(manifest::to_string(c->backend));
    if (c->backend != manifest::backend_kind::native && c->backend != manifest::backend_kind::smolmachines &&
        c->backend != manifest::backend_kind::docker)
        return make_error(errc::unsupported, "backend " + name + " is not built yet (chosen by " + std::string(manifest::to_string(c->source)) +
                                                 "); native, smolmachines and docker are");
    return name;
}

}  // namespace bottle::run
