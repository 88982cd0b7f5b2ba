#include "bottle-egress/options.hpp"

#include "bottle-egress/resolver.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace {

using namespace bottle::egress;

TEST(EgressOptions, AllowSpecs) {
    auto r = parse_allow("API.Example.com:443,8443", true);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->host, "api.example.com");
    EXPECT_EQ(r->ports, (std::vector<std::uint16_t>{443, 8443}));
    EXPECT_TRUE(r->tls);
    r = parse_allow("*.example.org", false);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->host, "*.example.org");
    EXPECT_TRUE(r->ports.empty());
    EXPECT_FALSE(r->tls);
    r = parse_allow("[2001:db8::1]:22", false);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->host, "[2001:db8::1]");
    for (const char* bad : {"", "*.com", "*", "com", "a.example.com:", "a.example.com:0", "a.example.com:65536",
                            "a.example.com:443,,80", "a.example.com:443,443", "a.example.com:+1", "a.exa mple.com",
                            "[2001:db8::1", "[2001:db8::1]x", "a@b.example.com", "a.example.com:080"}) {
        EXPECT_FALSE(parse_allow(bad, true)) << bad;
    }
}

TEST(EgressOptions, ResolveSpecs) {
    auto r = parse_resolve("Svc.Example.com.=203.0.113.5,2001:db8::5,203.0.113.5");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->first, "svc.example.com");
    ASSERT_EQ(r->second.size(), 2u);  // duplicates dropped
    EXPECT_EQ(r->second[1].to_string(), "2001:db8::5");
    for (const char* bad : {"svc.example.com", "svc.example.com=", "=1.2.3.4", "svc.example.com=0x7f.0.0.1",
                            "svc.example.com=127.1", "svc.example.com=1.2.3.4,", "1.2.3.4=1.2.3.4", "svc.example.com=fe80::1%eth0"}) {
        EXPECT_FALSE(parse_resolve(bad)) << bad;
    }
}

TEST(EgressOptions, ListenAndNameserverSpecs) {
    auto l = parse_listen("127.0.0.1:0");
    ASSERT_TRUE(l);
    EXPECT_EQ(l->port(), 0);
    l = parse_listen("[::1]:8080");
    ASSERT_TRUE(l);
    EXPECT_TRUE(l->address().is_v6());
    for (const char* bad : {"127.0.0.1", "localhost:80", "127.0.0.1:65536", "::1:80", "127.0.0.1:08", "127.0.0.1:-1", "[::1]"}) {
        EXPECT_FALSE(parse_listen(bad)) << bad;
    }
    auto n = parse_nameserver("127.0.0.53");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->port(), 53);
    n = parse_nameserver("[::1]:5353");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->port(), 5353);
    n = parse_nameserver("2001:db8::53");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->port(), 53);
    for (const char* bad : {"dns.example.com", "127.0.0.1:0", "0177.0.0.1", "127.0.0.1:53x", ""}) {
        EXPECT_FALSE(parse_nameserver(bad)) << bad;
    }
}

TEST(EgressOptions, CommandLine) {
    auto c = parse_command_line({"--listen", "127.0.0.1:0", "--allow", "a.example.com", "--allow-tunnel", "git.example.com:22",
                                 "--resolve", "a.example.com=203.0.113.1", "--permit", "192.168.5.0/24", "--idle-timeout", "0.5",
                                 "--max-tunnels", "3", "--bottle-id", "dev"});
    ASSERT_TRUE(c) << c.error().message;
    const auto& cfg = c->cfg;
    ASSERT_EQ(cfg.routes.size(), 2u);
    EXPECT_TRUE(cfg.routes[0].tls);
    EXPECT_FALSE(cfg.routes[1].tls);
    EXPECT_EQ(cfg.static_answers.count("a.example.com"), 1u);
    EXPECT_EQ(cfg.permits.size(), 1u);
    EXPECT_EQ(cfg.limits.idle_timeout, std::chrono::milliseconds(500));
    EXPECT_EQ(cfg.limits.max_tunnels, 3u);
    EXPECT_EQ(cfg.log_path, "");  // standard error
    EXPECT_EQ(cfg.bottle_id, "dev");
    // A non-TLS tunnel must name its ports: "any port, any bytes" is too wide.
    EXPECT_FALSE(parse_command_line({"--listen", "127.0.0.1:0", "--allow-tunnel", "git.example.com"}));
    EXPECT_FALSE(parse_command_line({"--listen", "127.0.0.1:0", "--allow", "a.example.com", "--resolve", "a.example.com=1.2.3.4",
                                     "--resolve", "A.example.com=1.2.3.5"}));
    EXPECT_FALSE(parse_command_line({"--listen", "127.0.0.1:0", "--allow", "a.example.com", "--listen-fd", "4", "--listen-fd", "4"}));
    EXPECT_TRUE(parse_command_line({"--help"})->help);
}

TEST(EgressOptions, BusyPollWindow) {
    const std::vector<std::string> base{"--listen", "127.0.0.1:0", "--allow", "a.example.com"};
    auto with = [&](std::vector<std::string> extra) {
        auto args = base;
        args.insert(args.end(), extra.begin(), extra.end());
        return parse_command_line(args);
    };
    auto d = with({});
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->cfg.busy_poll, std::chrono::microseconds(50));  // the default
    auto off = with({"--busy-poll", "0"});
    ASSERT_TRUE(off) << off.error().message;
    EXPECT_EQ(off->cfg.busy_poll, std::chrono::microseconds(0));
    auto longer = with({"--busy-poll", "200"});
    ASSERT_TRUE(longer) << longer.error().message;
    EXPECT_EQ(longer->cfg.busy_poll, std::chrono::microseconds(200));
    // Past 10 ms the "short" spin would be a busy loop: refused, with the range.
    auto too_long = with({"--busy-poll", "10001"});
    ASSERT_FALSE(too_long);
    EXPECT_NE(too_long.error().message.find("1..10000"), std::string::npos) << too_long.error().message;
    EXPECT_FALSE(with({"--busy-poll", "-1"}));
    EXPECT_FALSE(with({"--busy-poll", "5us"}));
    EXPECT_FALSE(with({"--busy-poll", "1", "--busy-poll", "2"}));
}

TEST(EgressOptions, ListenUnix) {
    auto c = parse_command_line({"--listen-unix", "/run/bottle/dev/egress.sock", "--listen-unix", "rel.sock", "--allow",
                                 "a.example.com"});
    ASSERT_TRUE(c) << c.error().message;  // a unix socket alone is something to listen on
    EXPECT_EQ(c->cfg.listen_unix, (std::vector<std::string>{"/run/bottle/dev/egress.sock", "rel.sock"}));
    EXPECT_TRUE(c->cfg.listen.empty());
    c = parse_command_line({"--listen", "127.0.0.1:0", "--listen-unix", "/tmp/x.sock", "--allow", "a.example.com"});
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->cfg.listen.size(), 1u);
    EXPECT_EQ(c->cfg.listen_unix.size(), 1u);
    // sun_path holds 108 bytes with the NUL: 107 is the longest path.
    EXPECT_TRUE(parse_command_line({"--listen-unix", "/" + std::string(106, 'x'), "--allow", "a.example.com"}));
    auto too_long = parse_command_line({"--listen-unix", "/" + std::string(107, 'x'), "--allow", "a.example.com"});
    ASSERT_FALSE(too_long);
    EXPECT_NE(too_long.error().message.find("longer than 107 bytes"), std::string::npos) << too_long.error().message;
    EXPECT_FALSE(parse_command_line({"--listen-unix", "/tmp/x.sock", "--listen-unix", "/tmp/x.sock", "--allow", "a.example.com"}));
    EXPECT_FALSE(parse_command_line({"--listen-unix", std::string("/tmp/a\0b", 8), "--allow", "a.example.com"}));
    auto none = parse_command_line({"--allow", "a.example.com"});
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("--listen-unix PATH"), std::string::npos) << none.error().message;
}

TEST(EgressOptions, ArgsLine) {
    auto a = parse_args_line(R"( ["--allow", "a.example.com", "--bottle-id", "d\u00e9v", ""] )");
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(*a, (std::vector<std::string>{"--allow", "a.example.com", "--bottle-id", "d\xc3\xa9v", ""}));
    a = parse_args_line("[]");
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_TRUE(a->empty());
    const std::vector<std::pair<std::string, std::string>> bad{
        {"", "not a JSON array of strings"},
        {"[", "not a JSON array of strings"},
        {"[\"a\",]", "not a JSON array of strings"},
        {"[\"a\"] x", "not a JSON array of strings"},
        {"\"--allow\"", "not an array"},
        {"{}", "not an array"},
        {"[\"a\", null]", "element 1 is not a string"},
        {"[true]", "element 0 is not a string"},
        {"[[\"a\"]]", "element 0 is not a string"},
        {"[[[\"a\"]]]", "not a JSON array of strings"},  // refused while parsing: deeper than any valid line
        {"[\"a\\u0000b\"]", "element 0 holds a NUL byte"},
        {"[\"--listen-unix\", \"/s\", \"--args-stdin\"]", "element 2 is --args-stdin again"},
    };
    for (const auto& [line, why] : bad) {
        const auto r = parse_args_line(line);
        ASSERT_FALSE(r) << line;
        EXPECT_TRUE(failed_with(r, bottle::errc::invalid_argument)) << line;
        EXPECT_NE(r.error().message.find(why), std::string::npos) << line << ": " << r.error().message;
    }
    EXPECT_FALSE(parse_args_line("[\"" + std::string(max_args_line_bytes, 'x') + "\"]"));
}

TEST(EgressOptions, ExpandArgsStdin) {
    std::istringstream unused("[\"--allow\", \"b.example.com\"]\n");
    auto e = expand_args_stdin({"--listen", "127.0.0.1:0"}, unused);  // no flag: stdin is not read
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(*e, (std::vector<std::string>{"--listen", "127.0.0.1:0"}));
    EXPECT_EQ(unused.tellg(), 0);

    std::istringstream in("[\"--allow\", \"b.example.com\"]\nnext line is not read\n");
    e = expand_args_stdin({"--listen", "127.0.0.1:0", "--args-stdin", "--bottle-id", "x"}, in);
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(*e, (std::vector<std::string>{"--listen", "127.0.0.1:0", "--bottle-id", "x", "--allow", "b.example.com"}));
    auto cl = parse_command_line(*e);
    ASSERT_TRUE(cl) << cl.error().message;
    ASSERT_EQ(cl->cfg.routes.size(), 1u);
    EXPECT_EQ(cl->cfg.routes[0].host, "b.example.com");
    std::string rest;
    std::getline(in, rest);
    EXPECT_EQ(rest, "next line is not read");

    const std::vector<std::pair<std::string, std::string>> bad{
        {"", "standard input ended"},
        {"[\"--allow\", \"b.example.com\"]", "standard input ended"},  // no newline: maybe cut short
        {"[1]\n", "element 0 is not a string"},
        {"[\"--args-stdin\"]\n", "--args-stdin again"},
        {std::string(max_args_line_bytes + 1, ' ') + "\n", "longer than 1048576 bytes"},
    };
    for (const auto& [input, why] : bad) {
        std::istringstream s(input);
        const auto r = expand_args_stdin({"--args-stdin"}, s);
        ASSERT_FALSE(r) << why;
        EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
    }
    std::istringstream twice("[]\n");
    const auto r = expand_args_stdin({"--args-stdin", "--args-stdin"}, twice);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("given twice"), std::string::npos) << r.error().message;
}

}  // namespace
