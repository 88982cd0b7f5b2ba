// bottle/policy/host_key.hpp — the one key an egress host is compared by
// before it is validated: ASCII-lowercase, one trailing dot dropped.
//
// The manifest merges and de-duplicates `egress` entries by this key, and
// `bottle-audit manifest` finds where a route was written by it. It accepts
// any text (wildcards, addresses, invalid names) because it runs before the
// route is judged; `canonical_host` (host_name.hpp) is the validating form
// and agrees with host_key on every name it accepts.
// Kept apart from the rest of egress_policy so the manifest can include it
// with nothing else.
#pragma once

#include <string>
#include <string_view>

namespace bottle::policy {

/// ASCII-lowercase copy of `host` with one trailing dot removed (a lone "."
/// is kept). Never fails; bytes other than A-Z are copied as they are.
[[nodiscard]] inline std::string host_key(std::string_view host) {
    std::string k(host);
    for (char& ch : k)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    if (k.size() > 1 && k.back() == '.') k.pop_back();
    return k;
}

}  // namespace bottle::policy
