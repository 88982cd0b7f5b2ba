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
//   BOTTLE_PROBE(net_tcp4_direct, "net.tcp4_direct",
//                "TCP connect to an internet sink with proxy variables removed",
//                bottle::escape::probe::scoring::sink) {
//       auto r = support::tcp_exchange(lab::internet_v4, 80, ctx.http_get("/"));
//       rep.attempt("tcp connect " + ..., r.outcome, r.connected);
//   }
//
// Rules: aim only at lab addresses (support:: refuses others); put `ctx.tag`
// in whatever you send; never harm the machine when unconfined; if the attack
// cannot be attempted here (missing interpreter, arch), call rep.na() or
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

    /// A minimal HTTP/1.1 GET whose path and a header carry the tag.
    [[nodiscard]] std::string http_get(std::string_view host, std::string_view path = "/") const;
};

/// One thing the probe tried (action, outcome, reached: the operation took
/// effect — connected, syscall accepted, file written).
using attempt = protocol::attempt;

/// What a probe fills in. Status starts as ran; na()/error() change it.
class report {
public:
    void attempt(std::string action, std::string outcome, bool reached = false);
    /// Raw data the probe read (file contents, env values, replies). Capped;
    /// canary tokens in it are how token-scored probes escape.
    void observe(std::string_view text);
    /// The attack does not apply here (nothing to attack); counted, never BLOCKED.
    void na(std::string reason);
    /// The probe could not run its attack (tool missing, unexpected failure).
    void error(std::string reason);

    [[nodiscard]] protocol::probe_status status() const noexcept { return status_; }
    [[nodiscard]] const std::string& reason() const noexcept { return reason_; }
    [[nodiscard]] const std::vector<probe::attempt>& attempts() const noexcept { return attempts_; }
    [[nodiscard]] const std::vector<std::string>& observed() const noexcept { return observed_; }

private:
    protocol::probe_status status_ = protocol::probe_status::ran;
    std::string reason_;
    std::vector<probe::attempt> attempts_;
    std::vector<std::string> observed_;
    std::size_t observed_bytes_ = 0;
};

using probe_fn = void (*)(const context&, report&);

struct probe_info {
    std::string_view id;           ///< "category.name", e.g. "net.tcp4_direct"
    std::string_view description;  ///< one line
    unsigned scoring;              ///< scoring:: bits
    probe_fn run;
};

/// The registry, filled by BOTTLE_PROBE at static-initialisation time.
std::vector<probe_info>& registry();

struct registrar {
    explicit registrar(probe_info info) { registry().push_back(info); }
};

/// "net.tcp4_direct" -> "net-tcp4-direct" (DNS-label safe).
[[nodiscard]] std::string slug(std::string_view id);

}  // namespace bottle::escape::probe

#define BOTTLE_PROBE(IDENT, ID, DESCRIPTION, SCORING)                                                      \
    static void bottle_probe_##IDENT(const ::bottle::escape::probe::context& ctx,                          \
                                     ::bottle::escape::probe::report& rep);                                \
    static const ::bottle::escape::probe::registrar bottle_probe_registrar_##IDENT{                        \
        ::bottle::escape::probe::probe_info{ID, DESCRIPTION, SCORING, &bottle_probe_##IDENT}};             \
    static void bottle_probe_##IDENT([[maybe_unused]] const ::bottle::escape::probe::context& ctx,         \
                                     [[maybe_unused]] ::bottle::escape::probe::report& rep)
