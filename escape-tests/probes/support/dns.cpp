#include "dns.hpp"

#include "../../lab/lab_plan.hpp"
#include "net.hpp"

#include <arpa/inet.h>
#include <sys/random.h>

#include <algorithm>
#include <chrono>
#include <sstream>

namespace bottle::escape::probe::support::dns {

namespace {

void put16(std::string& out, std::uint16_t v) {
    out += static_cast<char>(v >> 8);
    out += static_cast<char>(v & 0xff);
}

std::uint16_t get16(std::string_view w, std::size_t off) {
    return static_cast<std::uint16_t>((static_cast<unsigned char>(w[off]) << 8) | static_cast<unsigned char>(w[off + 1]));
}

void put_name(std::string& out, std::string_view name) {
    while (!name.empty() && name.back() == '.') name.remove_suffix(1);
    std::size_t start = 0;
    while (start < name.size()) {
        std::size_t dot = name.find('.', start);
        if (dot == std::string_view::npos) dot = name.size();
        const std::size_t len = std::min<std::size_t>(dot - start, 63);
        if (len > 0) {
            out += static_cast<char>(len);
            out.append(name.substr(start, len));
        }
        start = dot + 1;
    }
    out += '\0';
}

// Reads a possibly compressed name at `off`; advances `off` past it in the
// message. False on malformed input (bounded: at most 32 pointer hops).
bool read_name(std::string_view w, std::size_t& off, std::string& name) {
    std::size_t pos = off;
    bool jumped = false;
    for (int hops = 0; hops < 32;) {
        if (pos >= w.size()) return false;
        const auto len = static_cast<unsigned char>(w[pos]);
        if (len == 0) {
            if (!jumped) off = pos + 1;
            return true;
        }
        if ((len & 0xc0) == 0xc0) {
            if (pos + 1 >= w.size()) return false;
            if (!jumped) off = pos + 2;
            jumped = true;
            pos = get16(w, pos) & 0x3fff;
            ++hops;
            continue;
        }
        if (len > 63 || pos + 1 + len > w.size()) return false;
        if (!name.empty()) name += '.';
        name.append(w.substr(pos + 1, len));
        if (name.size() > 300) return false;
        pos += 1 + len;
    }
    return false;
}

std::string printable(std::string_view s) {
    std::string out;
    for (unsigned char c : s) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
    return out;
}

}  // namespace

std::uint16_t random_id() {
    std::uint16_t id = 0;
    if (getrandom(&id, sizeof id, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof id))
        id = static_cast<std::uint16_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return id;
}

std::string build_query(std::uint16_t id, const std::vector<question>& questions, bool recursion_desired) {
    std::string out;
    put16(out, id);
    put16(out, recursion_desired ? 0x0100 : 0);
    put16(out, static_cast<std::uint16_t>(questions.size()));
    put16(out, 0);
    put16(out, 0);
    put16(out, 0);
    for (const auto& q : questions) {
        put_name(out, q.name);
        put16(out, q.qtype);
        put16(out, q.qclass);
    }
    return out;
}

std::string type_name(std::uint16_t type) {
    switch (type) {
        case type_a: return "A";
        case type_ns: return "NS";
        case type_cname: return "CNAME";
        case 6: return "SOA";
        case type_null: return "NULL";
        case 12: return "PTR";
        case 15: return "MX";
        case type_txt: return "TXT";
        case type_aaaa: return "AAAA";
        case 41: return "OPT";
        case type_any: return "ANY";
        default: return "TYPE" + std::to_string(type);
    }
}

std::string rcode_name(int rcode) {
    static const char* names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
    if (rcode >= 0 && rcode < 6) return names[rcode];
    return "RCODE" + std::to_string(rcode);
}

response parse_response(std::string_view w) {
    response r;
    if (w.size() < 12) {
        r.summary = "not DNS: " + std::to_string(w.size()) + " bytes";
        return r;
    }
    r.id = get16(w, 0);
    const std::uint16_t flags = get16(w, 2);
    if (!(flags & 0x8000)) {
        r.summary = "not a DNS response (QR clear)";
        return r;
    }
    r.rcode = flags & 0xf;
    r.truncated = (flags & 0x0200) != 0;
    const std::size_t qd = get16(w, 4), an = get16(w, 6);
    std::size_t off = 12;
    for (std::size_t i = 0; i < qd; ++i) {
        std::string n;
        if (!read_name(w, off, n) || off + 4 > w.size()) {
            r.summary = "malformed question section";
            return r;
        }
        off += 4;
    }
    for (std::size_t i = 0; i < an && i < 64; ++i) {
        std::string n;
        if (!read_name(w, off, n) || off + 10 > w.size()) break;
        const std::uint16_t type = get16(w, off);
        const std::size_t rdlen = get16(w, off + 8);
        off += 10;
        if (off + rdlen > w.size()) break;
        const std::string_view rd = w.substr(off, rdlen);
        std::string value;
        char buf[INET6_ADDRSTRLEN] = {};
        if (type == type_a && rdlen == 4 && inet_ntop(AF_INET, rd.data(), buf, sizeof buf)) {
            value = buf;
            r.addresses.push_back(value);
        } else if (type == type_aaaa && rdlen == 16 && inet_ntop(AF_INET6, rd.data(), buf, sizeof buf)) {
            value = buf;
            r.addresses.push_back(value);
        } else if (type == type_cname || type == type_ns || type == 12) {
            std::size_t o = off;
            if (!read_name(w, o, value)) value = "?";
        } else {
            value = "\"" + printable(rd.substr(0, 200)) + "\"";
        }
        r.records.push_back(n + " " + type_name(type) + " " + value);
        off += rdlen;
    }
    r.valid = true;
    r.summary = rcode_name(r.rcode) + (r.truncated ? " (truncated)" : "") + ", " + std::to_string(an) +
                (an == 1 ? " answer" : " answers");
    for (std::size_t i = 0; i < r.records.size(); ++i) r.summary += (i == 0 ? ": " : "; ") + r.records[i];
    return r;
}

exchange query_udp(std::string_view server, std::string_view wire, int timeout_ms) {
    exchange e;
    const auto r = support::udp_exchange(server, 53, wire, timeout_ms);
    e.sent = r.sent;
    e.made = r.made;
    e.raw = r.reply;
    if (!r.sent) {
        e.outcome = r.outcome;
        return e;
    }
    e.outcome = "sent " + std::to_string(wire.size()) + " bytes; ";
    if (r.reply.empty()) {
        e.outcome += "no reply within " + std::to_string(timeout_ms) + " ms";
        return e;
    }
    e.answer = parse_response(r.reply);
    e.outcome += e.answer.summary;
    return e;
}

exchange query_tcp(std::string_view server, std::string_view wire, int timeout_ms) {
    exchange e;
    std::string framed;
    put16(framed, static_cast<std::uint16_t>(wire.size()));
    framed.append(wire);
    const auto r = support::tcp_exchange(server, 53, framed, timeout_ms);
    e.sent = r.sent;
    e.made = r.made;
    e.raw = r.reply;
    if (!r.connected) {
        e.outcome = r.outcome;
        return e;
    }
    e.outcome = r.outcome + "; ";
    if (r.reply.size() < 2) {
        e.outcome += "no DNS reply";
        return e;
    }
    const std::size_t len = get16(r.reply, 0);
    e.answer = parse_response(std::string_view(r.reply).substr(2, len));
    e.outcome += e.answer.summary;
    return e;
}

resolv_conf read_resolv_conf(const std::string& path) {
    resolv_conf rc;
    const auto f = support::read_file(path, 16 * 1024);
    if (!f.ok) {
        rc.err = f.err;
        rc.nameservers.push_back("127.0.0.1");
        return rc;
    }
    rc.ok = true;
    rc.text = f.data;
    std::istringstream in(f.data);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        std::istringstream words(line);
        std::string key;
        words >> key;
        if (key == "nameserver") {
            std::string ns;
            if (words >> ns && rc.nameservers.size() < 3) rc.nameservers.push_back(ns);
        } else if (key == "search" || key == "domain") {
            rc.search.clear();
            for (std::string d; words >> d;) rc.search.push_back(d);
        } else if (key == "options") {
            for (std::string o; words >> o;) {
                auto num = [&](std::string_view prefix, int& into, int cap) {
                    if (o.rfind(prefix, 0) == 0) into = std::clamp(std::atoi(o.c_str() + prefix.size()), 0, cap);
                };
                num("ndots:", rc.ndots, 15);
                num("timeout:", rc.timeout_s, 30);
                num("attempts:", rc.attempts, 5);
            }
        }
    }
    if (rc.nameservers.empty()) rc.nameservers.push_back("127.0.0.1");
    return rc;
}

std::vector<std::string> lab_nameservers(const resolv_conf& rc) {
    std::vector<std::string> out;
    for (const auto& ns : rc.nameservers)
        if (lab::is_lab_target(ns)) out.push_back(ns);
    return out;
}

lookup resolve(std::string_view name, std::uint16_t qtype, int timeout_ms) {
    lookup l;
    const std::string text(name);
    unsigned char buf[16];
    if (inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1) {
        l.addresses.push_back(text);
        l.how = "literal";
        return l;
    }
    if (name == "localhost") {
        l.addresses.push_back(qtype == type_aaaa ? "::1" : "127.0.0.1");
        l.how = "localhost";
        return l;
    }
    auto servers = lab_nameservers(read_resolv_conf());
    if (std::find(servers.begin(), servers.end(), lab::dns_v4) == servers.end()) servers.emplace_back(lab::dns_v4);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    const std::string wire = build_query(random_id(), {{text, qtype, 1}});
    std::vector<std::string> notes;
    for (const auto& s : servers) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left < 50) break;
        const auto e = query_udp(s, wire, static_cast<int>(std::min<long long>(left, 400)));
        notes.push_back(s + ": " + e.outcome);
        if (e.answer.valid) {
            l.addresses = e.answer.addresses;
            l.how = notes.back();
            return l;
        }
    }
    l.how = notes.empty() ? "no resolver tried" : notes.back();
    if (notes.size() > 1) l.how = "no resolver answered (" + notes.front() + " | " + notes.back() + ")";
    return l;
}

}  // namespace bottle::escape::probe::support::dns
