// proxy.host_encoding — every other way to spell the denied host: trailing
// dot, case, decimal/octal/hex/short IPv4 forms of 203.0.113.10, IPv4-mapped
// IPv6, percent-encoding, IDNA full-width dots, userinfo '@' and backslash
// tricks that make parsers disagree on which host is meant, explicit ports.
// Each spelling goes in an absolute-URI GET (tag in the path), most also in a
// CONNECT authority (tag in the ClientHello), each with its own path tag
// (-he<n>g, -he<n>c). Without a proxy the probe is N/A (net.* tests direct
// egress). The control (none-proxy: the lab's open proxy, which resolves like
// inet_aton and getaddrinfo) expects the tags of the spellings it forwards:
// case, trailing dot, the numeric IPv4 forms, IPv4-mapped IPv6 and explicit
// ports. The others (percent-encoding, IDNA dots, userinfo, backslash,
// fragment, NUL, "203.0.113.10." and IPv4-compatible IPv6) are parser
// differentials: a proxy that does not decode them (the open proxy answers
// 502) reaches nothing, so no control can expect them; they matter against a
// proxy whose checker and connector read them differently.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/proxy.hpp"
#include "../support/tls.hpp"

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;
namespace tls = bottle::escape::probe::support::tls;

namespace {

struct spelling {
    const char* label;
    std::string authority;    // as written in the URL / CONNECT line (no port)
    std::string host_header;  // empty: same as authority
    bool connect;             // also try it as a CONNECT authority
    bool name;                // a name (SNI sent) rather than an address
    bool forwarded;           // the lab's open proxy resolves it: the control expects its tags
};

}  // namespace

BOTTLE_PROBE(proxy_host_encoding, "proxy.host_encoding",
             "non-canonical spellings of denied.lab.test / 203.0.113.10 in CONNECT and absolute-URI requests",
             bottle::escape::probe::scoring::sink) {
    const auto px = support::proxy_under_test(rep);
    if (!px) return;
    const std::string allowed(lab::allowed_name);
    const std::vector<spelling> sp{
        {"trailing dot", "denied.lab.test.", "", true, true, true},
        {"upper case", "DENIED.LAB.TEST", "", true, true, true},
        {"mixed case, trailing dot", "Denied.Lab.Test.", "", false, true, true},
        {"decimal IPv4", "3405803786", "", true, false, true},
        {"octal IPv4", "0313.0.0161.012", "", true, false, true},
        {"hex dotted IPv4", "0xcb.0x0.0x71.0xa", "", true, false, true},
        {"hex IPv4", "0xcb00710a", "", true, false, true},
        {"a.b.c IPv4", "203.0.28938", "", true, false, true},
        {"a.b IPv4", "203.28938", "", false, false, true},
        {"zero-padded IPv4", "203.000.113.010", "", false, false, true},
        {"trailing-dot IPv4", "203.0.113.10.", "", false, false, false},
        {"IPv4-mapped IPv6", "[::ffff:203.0.113.10]", "", true, false, true},
        {"IPv4-mapped IPv6 (hex)", "[::ffff:cb00:710a]", "", true, false, true},
        {"IPv4-compatible IPv6", "[::203.0.113.10]", "", false, false, false},
        {"percent-encoded dots", "denied%2elab%2etest", "", true, true, false},
        {"percent-encoded letter", "%64enied.lab.test", "", false, true, false},
        {"full-width dots (IDNA)", "denied\xe3\x80\x82lab\xe3\x80\x82test", "", false, true, false},
        {"userinfo allowed@denied", allowed + "@denied.lab.test", allowed, true, true, false},
        {"userinfo with port", allowed + ":80@denied.lab.test", allowed, false, true, false},
        {"backslash userinfo", "denied.lab.test\\@" + allowed, allowed, false, true, false},
        {"fragment before @", allowed + "#@denied.lab.test", allowed, false, true, false},
        {"NUL before allowed suffix", "denied.lab.test%00." + allowed, "", false, true, false},
        {"explicit :80", "denied.lab.test:80", "", false, true, true},
        {"zero-padded port", "denied.lab.test:0080", "", false, true, true},
    };
    std::vector<std::function<support::hop_result()>> jobs;
    std::vector<std::string> expects;
    for (std::size_t i = 0; i < sp.size(); ++i) {
        const auto& s = sp[i];
        const auto get = ctx.for_path("he" + std::to_string(i + 1) + "g");
        expects.push_back(s.forwarded ? get.tag : std::string());
        jobs.emplace_back([get, &px, &s] {
            auto h = support::proxy_send(*px, support::absolute_get(get, px, s.authority, "/", s.host_header), 1500);
            h.action = std::string(s.label) + ": " + h.action;
            return h;
        });
        if (s.connect) {
            const auto tunnel = ctx.for_path("he" + std::to_string(i + 1) + "c");
            expects.push_back(s.forwarded ? tunnel.tag : std::string());
            jobs.emplace_back([tunnel, &px, &s] {
                auto h = support::proxy_connect(
                    *px, s.authority + ":443", tls::client_hello(s.name ? std::string(lab::denied_name) : std::string(), tunnel.tag), 1500);
                h.action = std::string(s.label) + ": " + h.action;
                return h;
            });
        }
    }
    support::record_all(rep, jobs, 40, {}, expects);  // one wave: keeps a slow proxy inside the deadline
}
