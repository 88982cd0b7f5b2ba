// An egress route's "tls" key: false lets the route's CONNECT tunnels carry
// non-TLS bytes (ssh to a git host on 22), so it is allowed only for one
// exact host with the ports listed; true is the default and may be written.
#include "bottle/manifest/bottle_spec.hpp"

#include "bottle/manifest/merge.hpp"
#include "bottle/manifest/schema.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace {

namespace bm = bottle::manifest;

std::string check(std::string_view text) {
    auto r = bm::validate_bottle(boost::json::parse(text), "f.json", "/bottles/b", bm::bottle_form::raw);
    return r ? "<ok>" : r.error().message;
}

TEST(ManifestEgressTls, FalseNeedsAnExactHostAndItsPorts) {
    EXPECT_EQ(check(R"({"egress": [{"host": "git.example.com", "ports": [22], "tls": false}]})"), "<ok>");
    EXPECT_EQ(check(R"({"egress": [{"host": "api.example.com", "tls": true}]})"), "<ok>");
    EXPECT_EQ(check(R"({"egress": [{"host": "git.example.com", "tls": false}]})"),
              "f.json: /bottles/b/egress/0/tls: a route with \"tls\": false must list its \"ports\"");
    EXPECT_EQ(check(R"({"egress": [{"host": "*.example.com", "ports": [22], "tls": false}]})"),
              "f.json: /bottles/b/egress/0/tls: \"tls\": false needs an exact host, not the wildcard \"*.example.com\"");
    EXPECT_NE(check(R"({"egress": [{"host": "git.example.com", "ports": [22], "tls": "no"}]})").find("/bottles/b/egress/0/tls"),
              std::string::npos);
    EXPECT_NE(check(R"({"egress": [{"host": "git.example.com", "ports": [22], "tls": 0}]})"), "<ok>");
    EXPECT_NE(check(R"({"egress": [{"host": "git.example.com", "ports": [22], "tcp": true}]})"), "<ok>");  // still strict
}

TEST(ManifestEgressTls, TheSpecCarriesIt) {
    bm::resolved_bottle r{"x", {"x"}, boost::json::parse(R"({"egress": [
        {"host": "git.example.com", "ports": [22], "tls": false},
        {"host": "api.example.com", "tls": true},
        {"host": "*.example.org"}]})").as_object()};
    auto s = bm::to_spec(r);
    ASSERT_TRUE(s.has_value()) << s.error().describe();
    ASSERT_EQ(s->egress.size(), 3u);
    EXPECT_FALSE(s->egress[0].tls);
    EXPECT_EQ(s->egress[0].ports, (std::vector<std::uint16_t>{22}));
    EXPECT_TRUE(s->egress[1].tls);
    EXPECT_TRUE(s->egress[2].tls);  // absent: TLS required
}

}  // namespace
