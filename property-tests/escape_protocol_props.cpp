// Properties of the harness's line protocol (escape-tests/protocol/lines.hpp):
// every probe line, listing and event the encoder writes decodes to the same
// value, whatever bytes its strings hold.
#include "protocol/lines.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace {

using namespace bottle::escape::protocol;

rc::Gen<std::string> bytes() { return rc::gen::container<std::string>(rc::gen::arbitrary<char>()); }

RC_GTEST_PROP(EscapeProtocol, ProbeLinesRoundTrip, ()) {
    probe_line p;
    p.id = *rc::gen::nonEmpty(bytes());
    p.tag = *bytes();
    p.status = *rc::gen::element(probe_status::ran, probe_status::na, probe_status::error);
    p.reason = *bytes();
    const auto n = *rc::gen::inRange<std::size_t>(0, 5);
    for (std::size_t i = 0; i < n; ++i) {
        const bool made = *rc::gen::arbitrary<bool>();
        p.attempts.push_back({*bytes(), *bytes(), *bytes(), made, *rc::gen::arbitrary<bool>(), made ? std::string() : *bytes()});
    }
    p.applicability = *bytes();
    p.observed = *rc::gen::container<std::vector<std::string>>(bytes());
    const auto facts = *rc::gen::inRange<std::size_t>(0, 4);
    for (std::size_t i = 0; i < facts; ++i) p.facts.emplace_back(*bytes(), *bytes());
    p.duration_ms = *rc::gen::inRange<long>(0, 1L << 40);
    const auto back = decode_probe_line(encode(p));
    RC_ASSERT(back.has_value());
    RC_ASSERT(*back == p);
}

RC_GTEST_PROP(EscapeProtocol, EventsAndListingsRoundTrip, ()) {
    const lab_event e{*rc::gen::nonEmpty(bytes()), *bytes(), *bytes(), *bytes(), *bytes(),
                      *rc::gen::inRange<long long>(0, 1LL << 50)};
    const auto eb = decode_event_line(encode(e));
    RC_ASSERT(eb.has_value());
    RC_ASSERT(*eb == e);
    const probe_listing l{*rc::gen::nonEmpty(bytes()), *bytes(), *rc::gen::inRange(0u, scoring::all + 1),
                          *rc::gen::container<std::vector<std::string>>(rc::gen::nonEmpty(bytes()))};
    const auto lb = decode_probe_listing(encode(l));
    RC_ASSERT(lb.has_value());
    RC_ASSERT(*lb == l);
}

}  // namespace
