#include "bottle-run/backends/smolmachines/alias.hpp"

#include "bottle-run/state.hpp"

#include "bottle/os/file.hpp"
#include "bottle/os/spawn.hpp"
#include "bottle/smolvm/state_db.hpp"

#include <boost/json.hpp>

#include <arpa/inet.h>

#include <cctype>
#include <cstring>

namespace bottle::run::smolmachines {

std::string alias_records_dir(const std::string& state_dir) { return state_dir + "/aliases"; }
std::string alias_lock_path(const std::string& state_dir) { return state_dir + "/aliases.lock"; }

namespace {

std::optional<std::uint32_t> hex32(std::string_view s) {
    if (s.size() != 8) return std::nullopt;
    std::uint32_t v = 0;
    for (char c : s) {
        v <<= 4;
        if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
        else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
        else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
        else return std::nullopt;
    }
    return v;
}

/// The kernel prints each 32-bit word of the address as it sits in memory
/// (%08X of a network-order word): memcpy it back to get network order.
std::optional<net::address_v4> decode_address(std::string_view hex, bool& is_v4) {
    if (hex.size() == 8) {
        auto w = hex32(hex);
        if (!w) return std::nullopt;
        in_addr a{};
        std::memcpy(&a.s_addr, &*w, 4);
        is_v4 = true;
        return net::address_v4(ntohl(a.s_addr));
    }
    if (hex.size() == 32) {
        unsigned char bytes[16];
        for (int i = 0; i < 4; ++i) {
            auto w = hex32(hex.substr(static_cast<std::size_t>(i) * 8, 8));
            if (!w) return std::nullopt;
            std::memcpy(bytes + i * 4, &*w, 4);
        }
        is_v4 = false;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(bytes, mapped, 12) != 0) return net::address_v4();  // a v6 address: no alias
        return net::address_v4((std::uint32_t{bytes[12]} << 24) | (std::uint32_t{bytes[13]} << 16) |
                               (std::uint32_t{bytes[14]} << 8) | bytes[15]);
    }
    return std::nullopt;
}

std::string holder_for_machine(std::string_view name) {
    std::string h = "smolvm.";
    for (char c : name) h += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
    return h.substr(0, 64);
}

}  // namespace

std::vector<net::address_v4> addresses_with_32(std::string_view text) {
    std::vector<net::address_v4> out;
    const auto digit_or_dot = [](char c) { return (c >= '0' && c <= '9') || c == '.'; };
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (!digit_or_dot(text[i]) || (i > 0 && digit_or_dot(text[i - 1]))) continue;
        std::size_t j = i;
        while (j < text.size() && digit_or_dot(text[j])) ++j;
        if (text.substr(j, 3) != "/32" || (j + 3 < text.size() && text[j + 3] >= '0' && text[j + 3] <= '9')) continue;
        auto a = net::parse_address(text.substr(i, j - i));
        if (a && a->is_v4()) out.push_back(a->to_v4());
    }
    return out;
}

result<std::vector<net::address_v4>> parse_proc_net(std::string_view text) {
    std::vector<net::address_v4> out;
    std::size_t line_no = 0;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line_no++ == 0) continue;  // the header
        const auto first = line.find_first_not_of(' ');
        if (first == std::string_view::npos) continue;
        line.remove_prefix(first);
        // "sl: local_address:port remote ..."
        const auto sp = line.find(' ');
        if (sp == std::string_view::npos) return make_error(errc::parse_error, "socket table line " + std::to_string(line_no) + " is truncated");
        std::string_view rest = line.substr(sp);
        rest.remove_prefix(rest.find_first_not_of(' ') == std::string_view::npos ? rest.size() : rest.find_first_not_of(' '));
        const auto colon = rest.find(':');
        if (colon == std::string_view::npos)
            return make_error(errc::parse_error, "socket table line " + std::to_string(line_no) + " has no local address");
        bool v4 = false;
        auto a = decode_address(rest.substr(0, colon), v4);
        if (!a) return make_error(errc::parse_error, "socket table line " + std::to_string(line_no) + ": cannot read the local address");
        if (!a->is_unspecified()) out.push_back(*a);
    }
    return out;
}

std::vector<net::address_v4> parse_docker_ports(std::string_view text) {
    std::vector<net::address_v4> out;
    std::size_t pos = 0;
    while ((pos = text.find("->", pos)) != std::string_view::npos) {
        // Back from "->" over "PORT" and ":" to the address's start.
        std::size_t end = pos;
        std::size_t colon = text.rfind(':', end);
        std::size_t start = text.find_last_of(" ,\n", colon == std::string_view::npos ? 0 : colon);
        start = start == std::string_view::npos ? 0 : start + 1;
        if (colon != std::string_view::npos && colon > start) {
            auto a = net::parse_address(text.substr(start, colon - start));
            if (a && a->is_v4() && !a->to_v4().is_unspecified()) out.push_back(a->to_v4());
        }
        pos += 2;
    }
    return out;
}

result<host_alias_source> host_alias_source::open(config c) {
    auto d = net::alias_directory::open(c.records_dir);
    if (!d) return d.error();
    return host_alias_source(std::move(c), std::move(*d));
}

result<std::vector<net::holding>> host_alias_source::in_use() {
    auto out = records_.in_use();
    if (!out) return out.error();
    for (const auto& f : config_.proc_files) {
        auto text = os::read_file(f, 64u << 20);
        if (!text) {
            if (text.error().code == make_error_code(errc::not_found) && f.find("6") != std::string::npos) continue;  // no IPv6
            return error{text.error().code, "cannot read the host's sockets: " + text.error().message};
        }
        auto addrs = parse_proc_net(*text);
        if (!addrs) return error{addrs.error().code, f + ": " + addrs.error().message};
        for (const auto& a : *addrs) out->push_back({a, "socket"});
    }
    if (!config_.docker.empty()) {
        os::spawn_request r;
        r.argv = config_.docker;
        r.argv.insert(r.argv.end(), {"ps", "--format", "{{.Ports}}"});
        r.timeout = config_.docker_timeout;
        auto ran = os::spawn(r);
        if (!ran) {
            if (ran.error().code != make_error_code(errc::not_found))  // no docker CLI: nothing published
                return error{ran.error().code, "cannot list docker's published ports: " + ran.error().message};
        } else if (!ran->succeeded()) {
            // No daemon: nothing can be published. Anything else is unknown.
            if (ran->err.find("Cannot connect to the Docker daemon") == std::string::npos &&
                ran->err.find("Is the docker daemon running") == std::string::npos)
                return make_error(errc::io_error, "cannot list docker's published ports (`docker ps` " +
                                                      std::string(ran->timed_out ? "timed out" : "failed") + "): " + ran->err.substr(0, 300));
        } else {
            for (const auto& a : parse_docker_ports(ran->out)) out->push_back({a, "docker"});
        }
    }
    if (config_.smolvm_db) {
        auto db = smolvm::state_db::open_read_only(*config_.smolvm_db);
        if (!db) {
            if (db.error().code != make_error_code(errc::not_found)) return db.error();
        } else {
            auto rows = db->list();
            // A database smolvm is creating right now (file there, schema not
            // yet): no table, no machine.
            if (!rows && rows.error().message.find("no such table: vms") != std::string::npos) return out;
            if (!rows) return rows.error();
            for (const auto& row : *rows) {
                auto rec = row.decode();
                if (!rec) {
                    // Our decoder is stricter than smolvm's (duplicate keys,
                    // TEXT), so smolvm may still start this machine: every
                    // "A.B.C.D/32" in its bytes holds that alias. A row too big
                    // to read cannot be judged: fail closed.
                    if (row.size != row.data.size())
                        return make_error(errc::limit_exceeded, "smolvm machine '" + row.name + "': record too large to read its allowlist");
                    for (const auto& a : addresses_with_32(row.data)) out->push_back({a, holder_for_machine(row.name)});
                    continue;
                }
                if (rec->unrestricted()) continue;
                for (const auto& c : *rec->allowed_cidrs()) {
                    if (c.size() < 4 || c.compare(c.size() - 3, 3, "/32") != 0) continue;
                    auto a = net::parse_address(std::string_view(c).substr(0, c.size() - 3));
                    if (a && a->is_v4()) out->push_back({a->to_v4(), holder_for_machine(rec->name())});
                }
            }
        }
    }
    return out;
}

result<host_pool> open_host_pool(const std::string& state_dir, std::optional<std::filesystem::path> smolvm_db,
                                 std::chrono::milliseconds lock_timeout) {
    host_alias_source::config c;
    c.records_dir = alias_records_dir(state_dir);
    c.smolvm_db = std::move(smolvm_db);
    auto src = host_alias_source::open(std::move(c));
    if (!src) return src.error();
    return host_pool::make(std::move(*src), net::flock_lock(alias_lock_path(state_dir), lock_timeout));
}

bool launcher_still_running(const std::string& state_dir, const std::string& id) {
    const auto pid_in = [](const std::string& file) -> std::optional<long long> {
        auto text = os::read_file(file, 1 << 20);
        if (!text) return std::nullopt;
        boost::system::error_code ec;
        auto v = boost::json::parse(*text, ec);
        const auto* o = !ec && v.is_object() ? v.get_object().if_contains("launcher_pid") : nullptr;
        if (!o || !o->is_number()) return -1;  // there, but half written: alive
        return o->to_number<long long>(ec);
    };
    for (const std::string& file : {state_dir + "/" + id + ".json", state_dir + "/" + id + ".smolvm/launcher.json"}) {
        const auto pid = pid_in(file);
        if (!pid) continue;
        if (*pid == -1) return true;
        state_record r;
        r.launcher_pid = static_cast<pid_t>(*pid);
        return launcher_alive(r);
    }
    return false;
}

result<std::vector<net::holding>> reclaim_aliases(const std::string& state_dir, const std::set<std::string>& live) {
    host_alias_source::config c;
    c.records_dir = alias_records_dir(state_dir);
    c.docker.clear();
    c.proc_files.clear();
    auto src = host_alias_source::open(std::move(c));
    if (!src) return src.error();
    net::flock_lock lock(alias_lock_path(state_dir));
    if (auto l = lock.lock(); !l) return l.error();
    auto held = src->records();
    if (!held) return held.error();
    std::vector<net::holding> released;
    for (const auto& h : *held) {
        if (live.count(h.holder) || launcher_still_running(state_dir, h.holder)) continue;
        if (auto r = src->release(h); r) released.push_back(h);
    }
    return released;
}

}  // namespace bottle::run::smolmachines
