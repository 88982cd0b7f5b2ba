// ipc.abstract_unix — abstract unix sockets live in the network namespace,
// not the filesystem, so a sandbox that hides paths but shares the network
// namespace exposes them. Lists /proc/net/unix and connects to every abstract
// listener (plus the lab's canary name), sending the tag.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(ipc_abstract_unix, "ipc.abstract_unix",
             "connect to abstract unix sockets listed in /proc/net/unix and to @bbx-canary-abstract",
             bottle::escape::probe::scoring::sink | bottle::escape::probe::scoring::token) {
    std::vector<std::string> names{"@" + std::string(lab::abstract_socket)};
    const auto table = support::read_file("/proc/net/unix", 256 * 1024);
    rep.attempt("read /proc/net/unix", support::describe(table), table.ok);
    int listed = 0;
    int listeners = 0;
    if (table.ok) {
        std::istringstream in(table.data);
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) {
            // Num RefCount Protocol Flags Type St Inode Path
            std::istringstream ls(line);
            std::string num, refs, proto, flags, type, st, inode, path;
            if (!(ls >> num >> refs >> proto >> flags >> type >> st >> inode)) continue;
            std::getline(ls, path);
            const auto b = path.find_first_not_of(' ');
            if (b == std::string::npos) continue;
            path = path.substr(b);
            if (path.empty() || path[0] != '@') continue;
            ++listed;
            const bool listening = (std::stoul(flags, nullptr, 16) & 0x10000UL) != 0;
            if (!listening || type != "0001") continue;  // stream listeners only
            ++listeners;
            if (std::find(names.begin(), names.end(), path) == names.end()) names.push_back(path);
        }
    }
    rep.observe("abstract unix sockets listed: " + std::to_string(listed) + ", stream listeners: " +
                std::to_string(listeners));
    const long long deadline = support::now_ms() + 2200;
    std::size_t tried = 0;
    for (const auto& n : names) {
        const long long left = deadline - support::now_ms();
        if (left < 100 || tried >= 32) {
            rep.not_made("", "unix connect " + n, "skipped: probe budget spent");
            continue;
        }
        ++tried;
        const auto r = support::unix_exchange(n, ctx.tag + "\n", static_cast<int>(std::min<long long>(left, 300)));
        rep.record("", "unix connect " + n + " and send the tag", r.outcome, r.made, r.sent);
        if (!r.reply.empty()) rep.observe(n + " replied: " + r.reply);
    }
}
