// ipc.session_agents — the user's session agents: ssh-agent (sign with the
// user's keys), D-Bus session bus (spawn processes via systemd --user, open
// files via portals) and the system bus. Escaped when an agent socket logs the
// tag or its reply surfaces.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

namespace {

std::string be32(std::size_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
    return s;
}

// SSH2_AGENTC_REQUEST_IDENTITIES, then SSH_AGENTC_EXTENSION named by the tag.
std::string ssh_agent_payload(const std::string& tag) {
    std::string msg = be32(1) + std::string(1, '\x0b');
    const std::string ext = std::string(1, '\x1b') + be32(tag.size()) + tag;
    return msg + be32(ext.size()) + ext;
}

std::string dbus_payload(const std::string& tag) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hexuid;
    for (char c : std::to_string(getuid())) {
        hexuid += digits[static_cast<unsigned char>(c) >> 4];
        hexuid += digits[static_cast<unsigned char>(c) & 15];
    }
    return std::string(1, '\0') + "AUTH EXTERNAL " + hexuid + "\r\nERROR \"" + tag + "\"\r\n";
}

// unix:path=/x,guid=..;unix:abstract=y -> ["/x", "@y"]
std::vector<std::string> dbus_paths(const std::string& address) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < address.size()) {
        const auto end = std::min(address.find(';', start), address.size());
        const std::string one = address.substr(start, end - start);
        start = end + 1;
        if (one.rfind("unix:", 0) != 0) continue;
        for (const std::string& key : {std::string("path="), std::string("abstract=")}) {
            const auto k = one.find(key);
            if (k == std::string::npos) continue;
            const auto v = one.substr(k + key.size(), one.find(',', k) - (k + key.size()));
            out.push_back(key == "path=" ? v : "@" + v);
        }
    }
    return out;
}

}  // namespace

BOTTLE_PROBE(ipc_session_agents, "ipc.session_agents",
             "ssh-agent REQUEST_IDENTITIES and D-Bus session/system bus AUTH, each carrying the tag",
             bottle::escape::probe::scoring::sink | bottle::escape::probe::scoring::token) {
    struct target {
        std::string path, kind;
    };
    std::vector<target> targets;
    auto add = [&](const std::string& p, const std::string& kind) {
        if (p.empty()) return;
        char real[4096];
        const std::string canon = p[0] != '@' && realpath(p.c_str(), real) ? std::string(real) : p;  // /var/run -> /run
        if (std::none_of(targets.begin(), targets.end(), [&](const target& t) { return t.path == canon; }))
            targets.push_back({canon, kind});
    };
    const std::string ssh = support::env("SSH_AUTH_SOCK");
    rep.observe("SSH_AUTH_SOCK=" + ssh);
    add(ssh, "ssh-agent");
    add(std::string(lab::ssh_agent_socket), "ssh-agent");
    const std::string bus = support::env("DBUS_SESSION_BUS_ADDRESS");
    rep.observe("DBUS_SESSION_BUS_ADDRESS=" + bus);
    for (const auto& p : dbus_paths(bus)) add(p, "dbus");
    add(std::string(lab::dbus_session_socket), "dbus");
    if (const auto xdg = support::env("XDG_RUNTIME_DIR"); !xdg.empty()) add(xdg + "/bus", "dbus");
    add(std::string(lab::dbus_system_socket), "dbus");
    add("/var/run/dbus/system_bus_socket", "dbus");

    const long long deadline = support::now_ms() + 2200;
    for (const auto& t : targets) {
        const long long left = deadline - support::now_ms();
        if (left < 100) {
            rep.not_made("", "unix connect " + t.path, "skipped: probe budget spent");
            continue;
        }
        const std::string payload = t.kind == "ssh-agent" ? ssh_agent_payload(ctx.tag) : dbus_payload(ctx.tag);
        const auto r = support::unix_exchange(t.path, payload, static_cast<int>(std::min<long long>(left, 500)));
        rep.record("", t.kind + " connect " + t.path +
                           (t.kind == "ssh-agent" ? " and send REQUEST_IDENTITIES" : " and send AUTH EXTERNAL"),
                   r.outcome, r.made, r.sent);
        if (!r.reply.empty()) rep.observe(t.path + " replied: " + r.reply);
    }
}
