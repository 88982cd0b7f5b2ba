// tools/bottle-egress/options.cpp — see options.hpp.
#include "bottle-egress/options.hpp"

#include "bottle-egress/http_head.hpp"
#include "bottle-egress/resolver.hpp"
#include "bottle-egress/text.hpp"
#include "bottle/manifest/bottle_spec.hpp"
#include "bottle/manifest/parse.hpp"
#include "bottle/manifest/resolve.hpp"
#include "common/cli.hpp"

#include <boost/json/parse.hpp>

#include <sys/un.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace bottle::egress {

namespace {

error usage(std::string message) { return make_error(errc::invalid_argument, std::move(message)); }

result<std::vector<std::uint16_t>> parse_ports(std::string_view list, std::string_view whole) {
    std::vector<std::uint16_t> ports;
    while (true) {
        const std::size_t comma = list.find(',');
        const std::string_view one = list.substr(0, comma);
        unsigned n = 0;
        const auto [end, ec] = std::from_chars(one.data(), one.data() + one.size(), n);
        if (one.empty() || ec != std::errc() || end != one.data() + one.size() || one[0] == '0' || n > 65535) {
            return usage("--allow " + quote(whole) + ": " + quote(one) + " is not a port 1..65535");
        }
        ports.push_back(static_cast<std::uint16_t>(n));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return ports;
}

/// Seconds as a decimal ("10", "0.5") to milliseconds, > 0 and at most a day.
result<std::chrono::milliseconds> parse_seconds(const std::string& name, const std::string& text) {
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v) || v <= 0 || v > 86400) {
        return usage(name + " " + quote(text) + ": expected seconds, more than 0 and at most 86400");
    }
    return std::chrono::milliseconds(std::max<long long>(1, std::llround(v * 1000)));
}

result<std::size_t> parse_count(const std::string& name, const std::string& text, std::size_t max) {
    std::size_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v == 0 || v > max) {
        return usage(name + " " + quote(text) + ": expected a whole number 1.." + std::to_string(max));
    }
    return v;
}

result<std::vector<policy::route>> routes_from_manifest(const std::string& path, const std::vector<std::string>& bottles) {
    auto m = manifest::load_manifest(path);
    if (!m) return m.error();
    auto resolved = manifest::merge_bottles(*m, bottles);
    if (!resolved) return resolved.error();
    auto spec = manifest::to_spec(*resolved);
    if (!spec) return spec.error();
    std::vector<policy::route> routes;
    for (const auto& e : spec->egress) {
        auto r = policy::make_route(e.host, e.ports, e.tls);
        if (!r) return usage("manifest " + path + ", bottle " + resolved->name + ": " + r.error().message);
        routes.push_back(std::move(*r));
    }
    return routes;
}

}  // namespace

result<policy::route> parse_allow(std::string_view text, bool tls) {
    std::string_view host = text, ports;
    bool has_ports = false;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos) return usage("--allow " + quote(text) + ": unclosed '['");
        host = text.substr(0, close + 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') return usage("--allow " + quote(text) + ": expected ':' after ']'");
            ports = text.substr(close + 2);
            has_ports = true;
        }
    } else if (const std::size_t colon = text.find(':'); colon != std::string_view::npos) {
        host = text.substr(0, colon);
        ports = text.substr(colon + 1);
        has_ports = true;
    }
    std::vector<std::uint16_t> list;
    if (has_ports) {
        auto p = parse_ports(ports, text);
        if (!p) return p.error();
        list = std::move(*p);
    }
    auto r = policy::make_route(host, std::move(list), tls);
    if (!r) return usage("--allow " + quote(text) + ": " + r.error().message);
    return r;
}

result<std::pair<std::string, std::vector<net::address>>> parse_resolve(std::string_view text) {
    const std::size_t eq = text.find('=');
    if (eq == std::string_view::npos) return usage("--resolve " + quote(text) + ": expected NAME=ADDR[,ADDR...]");
    auto name = policy::canonical_host(text.substr(0, eq));
    if (!name) return usage("--resolve " + quote(text) + ": " + name.error().message);
    if (policy::ip_literal(*name)) return usage("--resolve " + quote(text) + ": the name is an IP address");
    std::vector<net::address> addresses;
    std::string_view list = text.substr(eq + 1);
    while (true) {
        const std::size_t comma = list.find(',');
        auto a = net::parse_address(list.substr(0, comma));
        if (!a) return usage("--resolve " + quote(text) + ": " + a.error().message);
        if (std::find(addresses.begin(), addresses.end(), *a) == addresses.end()) addresses.push_back(*a);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return std::make_pair(std::move(*name), std::move(addresses));
}

result<std::vector<std::string>> parse_args_line(std::string_view line) {
    if (line.size() > max_args_line_bytes)
        return usage("--args-stdin: the line is longer than " + std::to_string(max_args_line_bytes) + " bytes");
    boost::json::parse_options strict;
    strict.max_depth = 2;  // the array and one level in it (refused below: not a string); deeper fails here
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(line, ec, {}, strict);
    if (ec) return usage("--args-stdin: the line is not a JSON array of strings (" + ec.message() + ")");
    if (!v.is_array()) return usage("--args-stdin: the line is JSON but not an array (expected [\"--allow\", \"HOST\", ...])");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.as_array().size(); ++i) {
        const auto& e = v.as_array()[i];
        const std::string which = "--args-stdin: element " + std::to_string(i);
        if (!e.is_string()) return usage(which + " is not a string");
        std::string arg(e.as_string());
        if (arg.find('\0') != std::string::npos) return usage(which + " holds a NUL byte (no command-line argument can)");
        if (arg == "--args-stdin") return usage(which + " is --args-stdin again: the arguments are read once");
        out.push_back(std::move(arg));
    }
    return out;
}

result<std::vector<std::string>> expand_args_stdin(std::vector<std::string> args, std::istream& in) {
    const auto count = std::count(args.begin(), args.end(), "--args-stdin");
    if (count == 0) return args;
    if (count > 1) return usage("--args-stdin was given twice");
    args.erase(std::find(args.begin(), args.end(), "--args-stdin"));
    std::string line;
    for (;;) {
        const auto c = in.rdbuf() ? in.rdbuf()->sbumpc() : std::char_traits<char>::eof();
        if (c == std::char_traits<char>::eof())
            return usage("--args-stdin: standard input ended before a whole line (a JSON array of strings, then a newline)");
        if (c == '\n') break;
        if (line.size() == max_args_line_bytes)
            return usage("--args-stdin: the line is longer than " + std::to_string(max_args_line_bytes) + " bytes");
        line.push_back(std::char_traits<char>::to_char_type(c));
    }
    auto more = parse_args_line(line);
    if (!more) return more.error();
    args.insert(args.end(), std::make_move_iterator(more->begin()), std::make_move_iterator(more->end()));
    return args;
}

result<boost::asio::ip::tcp::endpoint> parse_listen(std::string_view text) {
    std::string_view host, port;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find("]:");
        if (close == std::string_view::npos) return usage("--listen " + quote(text) + ": expected [IPV6]:PORT");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const std::size_t colon = text.find(':');
        if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) {
            return usage("--listen " + quote(text) + ": expected ADDR:PORT or [IPV6]:PORT");
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    auto addr = net::parse_address(host);
    if (!addr) return usage("--listen " + quote(text) + ": " + addr.error().message);
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || (port.size() > 1 && port[0] == '0') || n > 65535) {
        return usage("--listen " + quote(text) + ": " + quote(port) + " is not a port 0..65535");
    }
    return boost::asio::ip::tcp::endpoint(*addr, static_cast<std::uint16_t>(n));
}

std::string usage_text() {
    return "usage: bottle-egress [--args-stdin] (--listen ADDR:PORT | --listen-fd N | --listen-unix PATH)...\n"
           "                     (--allow HOST[:PORT[,PORT...]]... | --manifest PATH --bottle NAME...)\n"
           "                     [--resolve NAME=ADDR[,ADDR...]]... [--nameserver ADDR[:PORT]]\n"
           "                     [--permit CIDR]... [--log FILE|-] [--bottle-id ID]\n"
           "\n"
           "The per-bottle egress proxy: HTTP CONNECT (TLS whose SNI is the CONNECT host) and\n"
           "absolute-URI HTTP/1.1, allowed only to the bottle's routes; names are resolved here\n"
           "and every answer must pass the deny floor (loopback, private, link-local, metadata, ...).\n"
           "When ready it prints {\"listening\":[\"ADDR:PORT\",...,\"unix:PATH\",...]} on standard output.\n"
           "\n"
           "  --args-stdin            first read one line from standard input, a JSON array of\n"
           "                          strings (at most 1 MiB), and add them to the arguments\n"
           "  --listen ADDR:PORT      listen here (port 0: any free port)\n"
           "  --listen-fd N           serve the inherited listening TCP socket N\n"
           "  --listen-unix PATH      create a unix stream socket at PATH (mode 0666: the directory\n"
           "                          around it confines access) and serve it like --listen; PATH\n"
           "                          must not exist; removed again on SIGTERM/SIGINT\n"
           "  --allow HOST[:PORTS]    a route: exact host, *.suffix, or IP address; ports\n"
           "                          comma-separated (default 443,80)\n"
           "  --allow-tunnel HOST:PORTS  a route whose CONNECT tunnel may carry non-TLS bytes\n"
           "                          (e.g. ssh to a git host on 22); weakens the SNI check\n"
           "  --manifest PATH         a manifest file or directory; with --bottle NAME (repeat to\n"
           "                          merge bottles as the launcher does), its egress routes\n"
           "  --resolve NAME=ADDRS    answer NAME with these addresses instead of DNS\n"
           "  --nameserver ADDR[:PORT]  send every DNS query to this server (default: the\n"
           "                          system's nameservers)\n"
           "  --permit CIDR           let resolved addresses in CIDR pass the deny floor (an\n"
           "                          explicit, logged hole, e.g. a LAN registry)\n"
           "  --log FILE|-            decision log, one JSON line per decision (default: stderr)\n"
           "  --bottle-id ID          the bottle's id in every log line\n"
           "  --max-connections N     client connections at once (default 4096)\n"
           "  --max-tunnels N         CONNECT tunnels at once (default 2048)\n"
           "  --max-header-bytes N    request head size (default 16384)\n"
           "  --head-timeout S        seconds to send a request head (default 10)\n"
           "  --hello-timeout S       seconds to send the TLS ClientHello (default 10)\n"
           "  --connect-timeout S     seconds to connect upstream (default 10)\n"
           "  --idle-timeout S        seconds without traffic before a connection closes (default 300)\n"
           "  --busy-poll USEC        after each burst of work, poll this many microseconds before\n"
           "                          sleeping (default 50; 0: sleep at once, least CPU)\n"
           "  --help, --version\n"
           "\n"
           "Exit status: 0 stopped by SIGTERM/SIGINT, 1 could not start (bind, log, resolver,\n"
           "an existing --listen-unix PATH), 2 usage error (including a refused route or\n"
           "manifest, or a bad --args-stdin line).\n"
           "\n"
           "Example:\n"
           "  bottle-egress --listen 127.0.0.1:0 --allow api.example.com --allow '*.example.org:443' \\\n"
           "                --log /run/bottle/dev/egress.log --bottle-id dev\n"
           "  echo '[\"--listen-unix\",\"/run/bottle/dev/egress.sock\",\"--allow\",\"api.example.com\"]' |\n"
           "      bottle-egress --args-stdin\n";
}

result<command_line> parse_command_line(const std::vector<std::string>& args) {
    command_line out;
    config& c = out.cfg;
    std::vector<std::string> listen, listen_unix, allow, allow_tunnel, bottles, resolve, permit;
    std::vector<int> fds;
    std::string manifest_path, nameserver, log, max_conn, max_tun, max_head, head_to, hello_to, connect_to, idle_to, busy_poll;
    auto app_ptr = cli::make_app("bottle-egress", "the per-bottle egress proxy");
    auto& app = *app_ptr;
    app.add_option("--listen", listen, "listen address");
    app.add_option("--listen-fd", fds, "inherited listener");
    app.add_option("--listen-unix", listen_unix, "unix socket path");
    app.add_option("--allow", allow, "route");
    app.add_option("--allow-tunnel", allow_tunnel, "non-TLS route");
    app.add_option("--bottle", bottles, "bottle name");
    app.add_option("--resolve", resolve, "static answer");
    app.add_option("--permit", permit, "floor hole");
    auto* manifest_opt = cli::add_once(app, "--manifest", manifest_path, "manifest");
    auto* ns_opt = cli::add_once(app, "--nameserver", nameserver, "nameserver");
    auto* log_opt = app.add_option("--log", log, "log")->multi_option_policy(CLI::MultiOptionPolicy::Throw);
    cli::add_once(app, "--bottle-id", c.bottle_id, "bottle id");
    cli::add_once(app, "--max-connections", max_conn, "limit");
    cli::add_once(app, "--max-tunnels", max_tun, "limit");
    cli::add_once(app, "--max-header-bytes", max_head, "limit");
    cli::add_once(app, "--head-timeout", head_to, "limit");
    cli::add_once(app, "--hello-timeout", hello_to, "limit");
    cli::add_once(app, "--connect-timeout", connect_to, "limit");
    cli::add_once(app, "--idle-timeout", idle_to, "limit");
    cli::add_once(app, "--busy-poll", busy_poll, "microseconds");
    auto parsed = cli::parse(app, args);
    if (!parsed) return parsed.error();
    if (*parsed == cli::outcome::help) {
        out.help = true;
        return out;
    }
    if (*parsed == cli::outcome::version) {
        out.version = true;
        return out;
    }
    if (log_opt->count() > 1) return usage("--log was given twice");
    if (log_opt->count() > 0 && log.empty()) return usage("--log needs a value (a file, or - for standard output)");
    c.log_path = log;
    for (const auto& l : listen) {
        auto e = parse_listen(l);
        if (!e) return e.error();
        c.listen.push_back(*e);
    }
    for (int fd : fds) {
        if (fd < 0) return usage("--listen-fd " + std::to_string(fd) + ": not a descriptor");
        if (std::find(c.listen_fds.begin(), c.listen_fds.end(), fd) != c.listen_fds.end())
            return usage("--listen-fd " + std::to_string(fd) + " was given twice");
        c.listen_fds.push_back(fd);
    }
    for (const auto& path : listen_unix) {
        const std::string what = "--listen-unix " + quote(path) + ": ";
        if (path.empty() || path.find('\0') != std::string::npos) return usage(what + "expected a file path");
        if (path.size() >= sizeof(sockaddr_un::sun_path))
            return usage(what + "longer than " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                         " bytes, the most a unix socket address holds (use a shorter directory)");
        if (std::find(c.listen_unix.begin(), c.listen_unix.end(), path) != c.listen_unix.end())
            return usage("--listen-unix " + quote(path) + " was given twice");
        c.listen_unix.push_back(path);
    }
    if (c.listen.empty() && c.listen_fds.empty() && c.listen_unix.empty())
        return usage("nothing to listen on: give --listen ADDR:PORT, --listen-fd N or --listen-unix PATH");
    const bool from_manifest = manifest_opt->count() > 0;
    if (from_manifest && (!allow.empty() || !allow_tunnel.empty()))
        return usage("--allow and --manifest exclude each other: routes come from one place");
    if (from_manifest && bottles.empty()) return usage("--manifest needs --bottle NAME (the bottle whose egress to enforce)");
    if (!from_manifest && !bottles.empty()) return usage("--bottle needs --manifest PATH");
    if (!from_manifest && allow.empty() && allow_tunnel.empty())
        return usage("no routes: give --allow HOST[:PORTS] or --manifest PATH --bottle NAME");
    if (from_manifest) {
        auto r = routes_from_manifest(manifest_path, bottles);
        if (!r) return r.error();
        c.routes = std::move(*r);
    }
    for (const auto& a : allow) {
        auto r = parse_allow(a, true);
        if (!r) return r.error();
        c.routes.push_back(std::move(*r));
    }
    for (const auto& a : allow_tunnel) {
        auto r = parse_allow(a, false);
        if (!r) return r.error();
        if (r->ports.empty()) return usage("--allow-tunnel " + quote(a) + ": name the port(s) the tunnel may reach");
        c.routes.push_back(std::move(*r));
    }
    for (const auto& r : resolve) {
        auto p = parse_resolve(r);
        if (!p) return p.error();
        if (c.static_answers.count(p->first)) return usage("--resolve: " + p->first + " is answered twice");
        c.static_answers.emplace(std::move(p->first), std::move(p->second));
    }
    if (ns_opt->count() > 0) {
        auto ns = parse_nameserver(nameserver);
        if (!ns) return ns.error();
        c.nameserver = *ns;
    }
    for (const auto& p : permit) {
        auto cidr = net::cidr::parse(p);
        if (!cidr) return usage("--permit " + quote(p) + ": " + cidr.error().message);
        c.permits.push_back(*cidr);
    }
    auto& lim = c.limits;
    auto set_count = [&](const std::string& name, const std::string& text, std::size_t& into, std::size_t max) -> result<void> {
        if (text.empty()) return {};
        auto v = parse_count(name, text, max);
        if (!v) return v.error();
        into = *v;
        return {};
    };
    auto set_time = [&](const std::string& name, const std::string& text, std::chrono::milliseconds& into) -> result<void> {
        if (text.empty()) return {};
        auto v = parse_seconds(name, text);
        if (!v) return v.error();
        into = *v;
        return {};
    };
    for (auto r : {set_count("--max-connections", max_conn, lim.max_connections, 1'000'000),
                   set_count("--max-tunnels", max_tun, lim.max_tunnels, 1'000'000),
                   set_count("--max-header-bytes", max_head, lim.max_head_bytes, 1 << 20),
                   set_time("--head-timeout", head_to, lim.head_timeout), set_time("--hello-timeout", hello_to, lim.hello_timeout),
                   set_time("--connect-timeout", connect_to, lim.connect_timeout),
                   set_time("--idle-timeout", idle_to, lim.idle_timeout)}) {
        if (!r) return r.error();
    }
    if (busy_poll == "0") {
        c.busy_poll = std::chrono::microseconds(0);
    } else if (!busy_poll.empty()) {
        auto v = parse_count("--busy-poll", busy_poll, 10'000);  // "0" above; at most 10 ms
        if (!v) return v.error();
        c.busy_poll = std::chrono::microseconds(*v);
    }
    return out;
}

}  // namespace bottle::egress
