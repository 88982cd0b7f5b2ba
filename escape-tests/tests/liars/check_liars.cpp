// ctest escape.liars: deliberately lying or broken "sandboxes" (the profiles
// next to this file) must never produce a false ESCAPED or a false BLOCKED.
// Each liar is run through bottle-escape in the real lab and its JSON report
// checked against what that liar can truthfully show:
//   never-runs                  every probe ERROR (or N/A the machine rules out)
//   stdout-closed               no BLOCKED, EXPOSED or report-based evidence
//                               (its probes do run: what reaches a sink escaped)
//   killed-after-1s             no BLOCKED (it confines nothing); the killed ERROR
//   strips-proxy                no BLOCKED; every proxy probe N/A (no proxy left)
//   unusable-proxy              no BLOCKED; every proxy probe ERROR
//   fakes-privileged-calls      no priv.*, kern.*, res.* ESCAPED (faked success
//                               is at most EXPOSED), except res.memory on the
//                               memory limits the lab host read itself
//   rewriting-proxy             nothing at the allowed upstream is an escape;
//                               proxy.denied_host BLOCKED
// Everywhere: an ESCAPED probe has evidence seen outside the sandbox.
//   check_liars BOTTLE_ESCAPE BOTTLE_PROBE LIARS_DIR [NAME...]
#include <boost/json.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

namespace json = boost::json;

namespace {

struct probe {
    std::string id, verdict, reason;
    std::vector<std::pair<std::string, std::string>> evidence;  // kind, detail
};

std::string run(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[65536];
    for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    pclose(p);
    return out;
}

std::vector<probe> probes_of(const json::value& doc) {
    std::vector<probe> out;
    for (const auto& p : doc.at("probes").as_array()) {
        probe x;
        x.id = std::string(p.at("id").as_string());
        x.verdict = std::string(p.at("verdict").as_string());
        x.reason = std::string(p.at("reason").as_string());
        for (const auto& e : p.at("evidence").as_array())
            x.evidence.emplace_back(std::string(e.at("kind").as_string()), std::string(e.at("detail").as_string()));
        out.push_back(std::move(x));
    }
    return out;
}

bool is_proxy_probe(const probe& p) { return p.id.rfind("proxy.", 0) == 0 && p.id != "proxy.allowed_upstream"; }
bool machine_na(const probe& p) { return p.verdict == "N/A" && p.reason.rfind("not testable on this machine", 0) == 0; }

// res.memory ESCAPED on the lab host's own reading of the sandbox's memory
// limits (none below the host's memory): no faked syscall result enters it.
bool limits_read_outside(const probe& p) {
    if (p.id != "res.memory" || p.evidence.empty()) return false;
    for (const auto& [kind, detail] : p.evidence)
        if (kind != "effect" || detail.rfind("no limit below the host's memory", 0) != 0) return false;
    return true;
}

using check = std::function<std::string(const std::vector<probe>&)>;  // "" = ok, else what is false

std::string no_blocked(const std::vector<probe>& ps) {
    for (const auto& p : ps)
        if (p.verdict == "BLOCKED" && p.id != "proxy.allowed_upstream") return p.id + " BLOCKED although nothing confined it";
    return {};
}

const std::map<std::string, check>& checks() {
    static const std::map<std::string, check> all{
        {"never-runs",
         [](const auto& ps) -> std::string {
             for (const auto& p : ps)
                 if (p.verdict != "ERROR" && !machine_na(p)) return p.id + " " + p.verdict + " although no probe ran";
             return {};
         }},
        {"stdout-closed",
         [](const auto& ps) -> std::string {
             // The probes still run (unconfined) and what reaches a sink is a
             // true escape; but nothing may rest on a report nobody read.
             for (const auto& p : ps) {
                 if (p.verdict == "BLOCKED" || p.verdict == "EXPOSED" || (p.verdict == "N/A" && !machine_na(p)))
                     return p.id + " " + p.verdict + " although no report could be read";
                 for (const auto& [kind, detail] : p.evidence)
                     if (kind == "token" || kind == "self") return p.id + " has report-based evidence without a report: " + detail;
             }
             return {};
         }},
        {"killed-after-1s",
         [](const auto& ps) -> std::string {
             if (auto e = no_blocked(ps); !e.empty()) return e;
             for (const auto& p : ps)
                 if (p.verdict == "ERROR") return {};
             return "no probe is ERROR although the run was killed after 1 s";
         }},
        {"strips-proxy",
         [](const auto& ps) -> std::string {
             if (auto e = no_blocked(ps); !e.empty()) return e;
             for (const auto& p : ps)
                 if (is_proxy_probe(p) && p.verdict != "N/A") return p.id + " " + p.verdict + " with no proxy left in its environment";
             return {};
         }},
        {"unusable-proxy",
         [](const auto& ps) -> std::string {
             if (auto e = no_blocked(ps); !e.empty()) return e;
             for (const auto& p : ps)
                 if (is_proxy_probe(p) && p.verdict != "ERROR") return p.id + " " + p.verdict + " with an unusable proxy";
             return {};
         }},
        {"fakes-privileged-calls",
         [](const auto& ps) -> std::string {
             for (const auto& p : ps)
                 if (p.verdict == "ESCAPED" && !limits_read_outside(p) &&
                     (p.id.rfind("priv.", 0) == 0 || p.id.rfind("kern.", 0) == 0 || p.id.rfind("res.", 0) == 0))
                     return p.id + " ESCAPED on faked syscall results";
             return {};
         }},
        {"rewriting-proxy",
         [](const auto& ps) -> std::string {
             for (const auto& p : ps) {
                 for (const auto& [kind, detail] : p.evidence)
                     if (detail.rfind("at the allowed upstream", 0) == 0) return p.id + " escaped through compliant requests: " + detail;
                 if (p.id == "proxy.denied_host" && p.verdict != "BLOCKED")
                     return p.id + " " + p.verdict + " (" + p.reason + ") although the proxy made it compliant";
             }
             return {};
         }},
    };
    return all;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: check_liars BOTTLE_ESCAPE BOTTLE_PROBE LIARS_DIR [NAME...]\n";
        return 2;
    }
    std::vector<std::string> names(argv + 4, argv + argc);
    if (names.empty())
        for (const auto& [name, c] : checks()) names.push_back(name);
    int failed = 0;
    for (const auto& name : names) {
        const auto it = checks().find(name);
        if (it == checks().end()) {
            std::cerr << "no check for liar " << name << "\n";
            return 2;
        }
        const std::string out = run(std::string(argv[1]) + " run --json --probe '" + argv[2] + "' --profiles '" + argv[3] +
                                    "' --sandbox " + name + " 2>/dev/null");
        boost::system::error_code ec;
        const auto doc = json::parse(out, ec);
        if (ec || !doc.is_object() || !doc.as_object().contains("probes")) {
            std::cout << "FAIL " << name << ": no JSON report\n" << out.substr(0, 2000) << "\n";
            ++failed;
            continue;
        }
        const auto ps = probes_of(doc);
        std::string why = it->second(ps);
        for (const auto& p : ps) {
            if (p.verdict != "ESCAPED" || !why.empty()) continue;
            bool outside = false;
            for (const auto& [kind, detail] : p.evidence) outside = outside || kind != "self";
            if (!outside) why = p.id + " ESCAPED without evidence seen outside";
        }
        const auto& s = doc.at("summary");
        std::cout << (why.empty() ? "ok   " : "FAIL ") << name << ": " << s.at("escaped") << " escaped, " << s.at("exposed")
                  << " exposed, " << s.at("blocked") << " blocked, " << s.at("error") << " error, " << s.at("not_applicable")
                  << " n/a" << (why.empty() ? "" : " -- " + why) << "\n";
        failed += !why.empty();
    }
    return failed == 0 ? 0 : 1;
}
