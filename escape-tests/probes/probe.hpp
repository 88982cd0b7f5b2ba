// escape-tests/probes/probe.hpp — how a probe is written and registered.
//
// A probe is one attack in one source file. It attempts something from inside
// the sandbox and *reports* what it tried and what it saw; it never decides
// whether it escaped. The harness decides from ground truth outside: sink
// records carrying the probe's tag, canary tokens surfacing in the probe's
// output, host-side effects (marker files, signals). Only probes registered
// with `scoring::self` may be scored from their own report (kernel attack
// surface, privileges), and the report says so.
//
//   BOTTLE_PROBE(net_udp_direct, "net.udp_direct", "UDP to internet sinks",
//                bottle::escape::probe::scoring::sink, "udp4", "udp6") {
//       auto r = support::udp_exchange(lab::internet_v4, 53, payload);
//       rep.record("udp4", "udp send 203.0.113.10:53 ...", r.outcome, r.made, r.sent);
//       ...
//   }
//
// Channels: the trailing arguments of BOTTLE_PROBE name the paths the attack
// must take (none: one unnamed channel). The runner calls a probe BLOCKED only
// when every declared channel has at least one attempt that was really made
// (a connect issued, a query sent, a syscall called) and nothing was
// observed; a channel without one makes the probe ERROR, unless the probe
// said why it does not apply (rep.channel_na with an applicability key) and
// a fact seen outside the sandbox confirms it.
//
// Rules: aim only at lab addresses (support:: refuses others); put `ctx.tag`
// in whatever you send; never harm the machine when unconfined; record an
// attempt you could not make with rep.not_made() (never as a made attempt);
// if the attack cannot be attempted at all, call rep.na(key, ...) or
// rep.error() with the reason — never pretend it was blocked.
#pragma once

#include "../protocol/lines.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bottle::escape::probe {

/// How the harness may score a probe (bit set): protocol::scoring. Every
/// probe is checked against sinks, tokens and effects anyway; `self`
/// additionally lets an attempt the probe reports as `reached` count as
/// in-sandbox evidence.
namespace scoring = protocol::scoring;

/// What a probe knows about its run.
struct context {
    std::string nonce;  ///< per-run nonce, lowercase hex
    std::string tag;    ///< "bbx-<nonce>-<slug>": put it in everything sent
    int timeout_ms = 3000;
    /// "TYPE:HEX": a file handle (name_to_handle_at, taken outside the
    /// sandbox) of a token file the sandbox should never read
    /// (fs.open_by_handle); empty when the lab gave none.
    std::string handle_target;

    /// A minimal HTTP/1.1 GET whose path and a header carry the tag.
    [[nodiscard]] std::string http_get(std::string_view host, std::string_view path = "/") const;
    /// This context with tag "<tag>-<suffix>": the tag of one path of a
    /// probe (report::expect), still carrying the probe's tag.
    [[nodiscard]] context for_path(std::string_view suffix) const;
};

/// One thing the probe tried (protocol::attempt: channel, action, outcome,
/// made, reached, na).
using attempt = protocol::attempt;

/// What a probe fills in. Status starts as ran; na()/error() change it.
class report {
public:
    /// An attempt that was made (the call was issued; `outcome` is the
    /// sandbox's answer), on the probe's only (unnamed) channel.
    void attempt(std::string action, std::string outcome, bool reached = false);
    /// The same on a named channel.
    void attempt_on(std::string_view channel, std::string action, std::string outcome, bool reached = false);
    /// An attempt whose `made` a helper decided (support::exchange_result,
    /// hop_result, dns exchange).
    void record(std::string_view channel, std::string action, std::string outcome, bool made, bool reached);
    /// An attempt the probe could not make here (no target found, a
    /// precondition missing): it never counts towards BLOCKED.
    void not_made(std::string_view channel, std::string action, std::string why);
    /// The channel does not apply here, for the reason `key`
    /// (protocol::applicability), which the runner checks outside.
    void channel_na(std::string_view channel, std::string_view key, std::string action, std::string why);
    /// The tag the last attempt put in what it sent (ctx.tag plus a suffix
    /// of this path): the control run (profile none) must find it outside,
    /// so a probe passes the control only when each path escaped.
    void expect(std::string tag);
    /// Raw data the probe read (file contents, env values, replies). Capped;
    /// canary tokens in it are how token-scored probes escape.
    void observe(std::string_view text);
    /// A structured thing the probe saw, compared exactly with the lab's
    /// facts declared for this probe (runner/lab_facts.hpp): never matched
    /// as a substring of free text.
    void fact(std::string name, std::string value);
    /// The attack does not apply here, for the reason `key`
    /// (protocol::applicability); counted apart, never BLOCKED, and only
    /// when the runner can confirm the key outside the sandbox.
    void na(std::string_view key, std::string reason);
    /// The probe could not run its attack (tool missing, unexpected failure).
    void error(std::string reason);

    [[nodiscard]] protocol::probe_status status() const noexcept { return status_; }
    [[nodiscard]] const std::string& reason() const noexcept { return reason_; }
    [[nodiscard]] const std::string& applicability() const noexcept { return applicability_; }
    [[nodiscard]] const std::vector<probe::attempt>& attempts() const noexcept { return attempts_; }
    [[nodiscard]] const std::vector<std::string>& observed() const noexcept { return observed_; }
    [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& facts() const noexcept { return facts_; }
    /// Per attempt (empty when the probe declared none).
    [[nodiscard]] std::vector<std::string> expects() const;

private:
    protocol::probe_status status_ = protocol::probe_status::ran;
    std::string reason_;
    std::string applicability_;
    std::vector<probe::attempt> attempts_;
    std::vector<std::string> observed_;
    std::vector<std::pair<std::string, std::string>> facts_;
    std::vector<std::pair<std::size_t, std::string>> expects_;  // attempt index, tag
    std::size_t observed_bytes_ = 0;
};

using probe_fn = void (*)(const context&, report&);

struct probe_info {
    std::string_view id;           ///< "category.name", e.g. "net.tcp4_direct"
    std::string_view description;  ///< one line
    unsigned scoring;              ///< scoring:: bits
    probe_fn run;
    std::vector<std::string_view> channels;  ///< declared channels (empty: one unnamed)
};

/// The registry, filled by BOTTLE_PROBE at static-initialisation time.
std::vector<probe_info>& registry();

struct registrar {
    explicit registrar(probe_info info) { registry().push_back(info); }
};

/// "net.tcp4_direct" -> "net-tcp4-direct" (DNS-label safe).
[[nodiscard]] std::string slug(std::string_view id);

}  // namespace bottle::escape::probe

#define BOTTLE_PROBE(IDENT, ID, DESCRIPTION, SCORING, ...)                                                 \
    static void bottle_probe_##IDENT(const ::bottle::escape::probe::context& ctx,                          \
                                     ::bottle::escape::probe::report& rep);                                \
    static const ::bottle::escape::probe::registrar bottle_probe_registrar_##IDENT{                        \
        ::bottle::escape::probe::probe_info{ID, DESCRIPTION, SCORING, &bottle_probe_##IDENT, {__VA_ARGS__}}}; \
    static void bottle_probe_##IDENT([[maybe_unused]] const ::bottle::escape::probe::context& ctx,         \
                                     [[maybe_unused]] ::bottle::escape::probe::report& rep)
