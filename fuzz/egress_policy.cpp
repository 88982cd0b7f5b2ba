// Fuzz target: the egress policy on arbitrary text. Input: line 1 is the
// requested host, line 2 the port (decimal, taken mod 65536), every further
// line a route "HOST [PORT,PORT...] [notls]". Properties (abort on violation):
//  - no crash, no sanitizer report, no exception;
//  - canonical_host is idempotent, and an IP literal's canonical text is its
//    address (bracketed for IPv6);
//  - a route from make_route is accepted again, unchanged, from its own host;
//  - decide equals the slow reference matcher (tests/support/egress_reference.hpp),
//    and an allowed decision points at one of the routes;
//  - the floor judges the literal and the route addresses without failing,
//    and refuses an answer set that contains a refused address;
//  - the whole input parsed as a public suffix list never crashes.
#include "bottle/policy/egress_policy.hpp"

#include "../tests/support/egress_reference.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void fail(const char* what, std::string_view detail) {
    std::fprintf(stderr, "egress_policy: %s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
    std::abort();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    for (std::size_t start = 0;;) {
        const auto at = s.find(sep, start);
        out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) return out;
        start = at + 1;
    }
}

std::uint16_t parse_port(std::string_view s) {
    unsigned v = 0;
    for (char c : s.substr(0, 8))
        if (c >= '0' && c <= '9') v = v * 10 + static_cast<unsigned>(c - '0');
    return static_cast<std::uint16_t>(v & 0xffffu);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace policy = bottle::policy;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto lines = split(text, '\n');
    const std::string_view host = lines[0];
    const std::uint16_t port = lines.size() > 1 ? parse_port(lines[1]) : 443;

    const auto c = policy::canonical_host(host);
    if (c) {
        const auto again = policy::canonical_host(*c);
        if (!again || *again != *c) fail("canonical_host is not idempotent", *c);
    }
    const auto literal = policy::ip_literal(host);
    if (literal) {
        const std::string want = literal->is_v6() ? "[" + literal->to_string() + "]" : literal->to_string();
        if (!c || *c != want) fail("an IP literal's canonical text is not its address", want);
    }

    std::vector<policy::route> routes;
    for (std::size_t i = 2; i < lines.size() && routes.size() < 32; ++i) {
        const auto fields = split(lines[i], ' ');
        std::vector<std::uint16_t> ports;
        if (fields.size() > 1 && !fields[1].empty())
            for (auto p : split(fields[1], ',')) ports.push_back(parse_port(p));
        const bool tls = !(fields.size() > 2 && fields[2] == "notls");
        auto r = policy::make_route(fields[0], ports, tls);
        if (!r) continue;
        auto again = policy::make_route(r->host, r->ports, r->tls);
        if (!again || again->host != r->host || again->ports != r->ports) fail("make_route is not idempotent", r->host);
        routes.push_back(std::move(*r));
    }

    const auto got = policy::decide(routes, host, port);
    const auto want = bottle::test_support::reference_decide(routes, host, port);
    if (got.allowed != want.allowed) fail("decide disagrees with the reference", host);
    if (got.allowed) {
        if (got.matched != &routes[static_cast<std::size_t>(want.index)]) fail("decide picked another route", host);
        if (literal && !got.address) fail("an allowed literal carries no address", host);
    } else if (got.matched != nullptr || got.reason.empty()) {
        fail("a denial points at a route or gives no reason", host);
    }

    std::vector<bottle::net::address> answers;
    if (literal) answers.push_back(*literal);
    for (const auto& r : routes)
        if (auto a = policy::route_address(r)) answers.push_back(*a);
    bool any_refused = false;
    for (const auto& a : answers) any_refused = policy::check_address(a, {}).refused || any_refused;
    if (policy::check_answers(answers, {}).refused != (answers.empty() || any_refused)) fail("check_answers disagrees", host);

    if (auto psl = policy::parse_public_suffixes(text); psl && c) (void)psl->is_public_suffix(*c);
    return 0;
}
