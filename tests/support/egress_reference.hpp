// A slow reference for policy::decide, written apart from it for the
// property test and the differential fuzz target: names are compared label
// by label, addresses through the C library's inet_aton / inet_pton as
// 16-byte IPv4-mapped arrays, and the winning route is picked from the full
// list of candidates. It shares only canonical_host (tested on its own).
#pragma once

#include "bottle/policy/egress_policy.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::test_support {

struct reference_decision {
    bool allowed = false;
    int index = -1;           ///< the allowing route
    bool host_known = false;  ///< some route names the host
};

inline std::vector<std::string> labels_of(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == '.') {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    out.push_back(cur);
    return out;
}

/// A canonical host as 16 bytes (IPv4 as ::ffff:a.b.c.d), or nullopt for names.
inline std::optional<std::array<unsigned char, 16>> reference_literal(const std::string& canonical) {
    std::array<unsigned char, 16> out{};
    if (!canonical.empty() && canonical.front() == '[') {
        const std::string inner = canonical.substr(1, canonical.size() - 2);
        if (inet_pton(AF_INET6, inner.c_str(), out.data()) != 1) return std::nullopt;
        return out;
    }
    if (canonical.find_first_not_of("0123456789.") != std::string::npos) return std::nullopt;
    in_addr a{};
    if (inet_aton(canonical.c_str(), &a) == 0) return std::nullopt;
    out[10] = out[11] = 0xff;
    const auto* b = reinterpret_cast<const unsigned char*>(&a.s_addr);  // network order
    for (int i = 0; i < 4; ++i) out[static_cast<std::size_t>(12 + i)] = b[i];
    return out;
}

inline reference_decision reference_decide(const std::vector<policy::route>& routes, std::string_view host, std::uint16_t port) {
    reference_decision d;
    auto c = policy::canonical_host(host);
    if (!c || port == 0) return d;
    const auto lit = reference_literal(*c);
    const auto host_labels = labels_of(*c);
    int exact = -1, wild = -1;
    std::size_t wild_len = 0;
    for (std::size_t i = 0; i < routes.size(); ++i) {
        const auto& r = routes[i];
        const std::set<std::uint16_t> ports =
            r.ports.empty() ? std::set<std::uint16_t>{80, 443} : std::set<std::uint16_t>(r.ports.begin(), r.ports.end());
        const bool port_ok = ports.contains(port);
        const auto rl = labels_of(r.host);
        const bool is_wild = rl.size() >= 2 && rl[0] == "*" && !rl[1].empty();
        const auto route_lit = is_wild ? std::nullopt : reference_literal(r.host);
        bool matches = false;
        bool is_exact = false;
        if (lit) {
            matches = route_lit && *route_lit == *lit;
            is_exact = true;
        } else if (is_wild) {
            const std::vector<std::string> suffix(rl.begin() + 1, rl.end());
            matches = host_labels.size() > suffix.size() &&
                      std::equal(suffix.begin(), suffix.end(), host_labels.end() - static_cast<std::ptrdiff_t>(suffix.size()));
        } else {
            matches = !route_lit && rl == host_labels;
            is_exact = true;
        }
        if (!matches) continue;
        d.host_known = true;
        if (!port_ok) continue;
        if (is_exact && exact < 0) exact = static_cast<int>(i);
        if (!is_exact && (wild < 0 || r.host.size() > wild_len)) {
            wild = static_cast<int>(i);
            wild_len = r.host.size();
        }
    }
    d.index = exact >= 0 ? exact : wild;
    d.allowed = d.index >= 0;
    return d;
}

}  // namespace bottle::test_support
