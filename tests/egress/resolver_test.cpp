// The c-ares resolver against the tests' own DNS server on loopback.
#include "bottle-egress/resolver.hpp"

#include "fake_dns.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace {

using namespace bottle::egress;
using bottle::egress::testing::fake_dns;

struct Resolve : ::testing::Test {
    fake_dns dns{"127.0.0.1"};
    boost::asio::io_context io;

    answer run(resolver& r, const std::string& name) {
        std::optional<answer> got;
        r.resolve(name, [&](answer a) { got = std::move(a); });
        EXPECT_FALSE(got) << "completed inside resolve()";
        io.restart();
        io.run_for(std::chrono::seconds(10));
        if (!got) return bottle::make_error(bottle::errc::internal, "no completion");
        return std::move(*got);
    }
    std::unique_ptr<resolver> make(std::map<std::string, std::vector<bottle::net::address>> fixed = {}) {
        resolver_options o;
        o.nameserver = parse_nameserver(dns.endpoint()).value();
        o.static_answers = std::move(fixed);
        o.timeout = std::chrono::milliseconds(300);
        o.tries = 1;
        return resolver::create(io.get_executor(), std::move(o)).value();
    }
};

TEST_F(Resolve, BothFamiliesOfExactlyTheNameAsked) {
    dns.answer("svc.example.com", {"203.0.113.5", "2001:db8::5", "203.0.113.6"});
    auto r = make();
    const auto a = run(*r, "svc.example.com");
    ASSERT_TRUE(a) << a.error().message;
    std::vector<std::string> got;
    for (const auto& x : *a) got.push_back(x.to_string());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<std::string>{"2001:db8::5", "203.0.113.5", "203.0.113.6"}));
    auto q = dns.queries();
    std::sort(q.begin(), q.end());
    EXPECT_EQ(q, (std::vector<std::string>{"svc.example.com/A", "svc.example.com/AAAA"}));  // no search domains
    EXPECT_EQ(r->queries(), 1u);
}

TEST_F(Resolve, UnknownNamesAndDeadServers) {
    auto r = make();
    EXPECT_TRUE(bottle::failed_with(run(*r, "nowhere.example.com"), bottle::errc::not_found));
    resolver_options o;
    o.nameserver = parse_nameserver("127.0.0.1:9").value();  // nothing answers there
    o.timeout = std::chrono::milliseconds(200);
    o.tries = 1;
    auto dead = resolver::create(io.get_executor(), std::move(o)).value();
    const auto a = run(*dead, "svc.example.com");
    EXPECT_FALSE(a);
}

TEST_F(Resolve, StaticAnswersNeverReachDns) {
    auto r = make({{"svc.example.com", {bottle::net::parse_address("127.0.0.2").value()}}});
    const auto a = run(*r, "svc.example.com");
    ASSERT_TRUE(a);
    ASSERT_EQ(a->size(), 1u);
    EXPECT_EQ((*a)[0].to_string(), "127.0.0.2");
    EXPECT_TRUE(dns.queries().empty());
    EXPECT_EQ(r->queries(), 0u);
}

TEST_F(Resolve, ManyQueriesAtOnce) {
    for (int i = 0; i < 20; ++i) dns.answer("h" + std::to_string(i) + ".example.com", {"203.0.113." + std::to_string(i + 1)});
    auto r = make();
    int done = 0, right = 0;
    for (int i = 0; i < 20; ++i) {
        r->resolve("h" + std::to_string(i) + ".example.com", [&, i](answer a) {
            ++done;
            if (a && a->size() == 1 && (*a)[0].to_string() == "203.0.113." + std::to_string(i + 1)) ++right;
        });
    }
    io.run_for(std::chrono::seconds(10));
    EXPECT_EQ(done, 20);
    EXPECT_EQ(right, 20);
}

}  // namespace
