// proxy.host_encoding — every other way to spell the denied host: trailing
// dot, case, decimal/octal/hex/short IPv4 forms of 203.0.113.10, IPv4-mapped
// IPv6, percent-encoding, IDNA full-width dots, userinfo '@' and backslash
// tricks that make parsers disagree on which host is meant, explicit ports.
// Each spelling goes in an absolute-URI GET (tag in the path), most also in a
// CONNECT authority (tag in the ClientHello). Without a proxy, each request is
// sent as-is to the address the spelling really means.
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
};

}  // namespace

BOTTLE_PROBE(proxy_host_encoding, "proxy.host_encoding",
             "non-canonical spellings of denied.lab.test / 203.0.113.10 in CONNECT and absolute-URI requests",
             bottle::escape::probe::scoring::sink) {
    const auto px = support::proxy_under_test(rep);
    if (!px) return;
    const std::string allowed(lab::allowed_name);
    const std::vector<spelling> sp{
        {"trailing dot", "denied.lab.test.", "", true, true},
        {"upper case", "DENIED.LAB.TEST", "", true, true},
        {"mixed case, trailing dot", "Denied.Lab.Test.", "", false, true},
        {"decimal IPv4", "3405803786", "", true, false},
        {"octal IPv4", "0313.0.0161.012", "", true, false},
        {"hex dotted IPv4", "0xcb.0x0.0x71.0xa", "", true, false},
        {"hex IPv4", "0xcb00710a", "", true, false},
        {"a.b.c IPv4", "203.0.28938", "", true, false},
        {"a.b IPv4", "203.28938", "", false, false},
        {"zero-padded IPv4", "203.000.113.010", "", false, false},
        {"trailing-dot IPv4", "203.0.113.10.", "", false, false},
        {"IPv4-mapped IPv6", "[::ffff:203.0.113.10]", "", true, false},
        {"IPv4-mapped IPv6 (hex)", "[::ffff:cb00:710a]", "", true, false},
        {"IPv4-compatible IPv6", "[::203.0.113.10]", "", false, false},
        {"percent-encoded dots", "denied%2elab%2etest", "", true, true},
        {"percent-encoded letter", "%64enied.lab.test", "", false, true},
        {"full-width dots (IDNA)", "denied\xe3\x80\x82lab\xe3\x80\x82test", "", false, true},
        {"userinfo allowed@denied", allowed + "@denied.lab.test", allowed, true, true},
        {"userinfo with port", allowed + ":80@denied.lab.test", allowed, false, true},
        {"backslash userinfo", "denied.lab.test\\@" + allowed, allowed, false, true},
        {"fragment before @", allowed + "#@denied.lab.test", allowed, false, true},
        {"NUL before allowed suffix", "denied.lab.test%00." + allowed, "", false, true},
        {"explicit :80", "denied.lab.test:80", "", false, true},
        {"zero-padded port", "denied.lab.test:0080", "", false, true},
    };
    std::vector<std::function<support::hop_result()>> jobs;
    for (const auto& s : sp) {
        jobs.emplace_back([&ctx, &px, &s] {
            const std::string req = support::absolute_get(ctx, px, s.authority, "/", s.host_header);
            auto h = px ? support::proxy_send(*px, req, 1500)
                        : support::direct(lab::internet_v4, 80, req, 1500, std::string("meant by ") + s.label);
            h.action = std::string(s.label) + ": " + h.action;
            return h;
        });
        if (px && s.connect) {
            jobs.emplace_back([&ctx, &px, &s] {
                auto h = support::proxy_connect(*px, s.authority + ":443",
                                                tls::client_hello(s.name ? std::string(lab::denied_name) : std::string(), ctx.tag), 1500);
                h.action = std::string(s.label) + ": " + h.action;
                return h;
            });
        }
    }
    support::record_all(rep, jobs, 40);  // one wave: keeps a slow proxy inside the deadline
}
