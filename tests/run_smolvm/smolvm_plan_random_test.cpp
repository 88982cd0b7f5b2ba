// Randomised properties of the smolmachines plan (property-tests/ cannot
// link bottle-run's core, so the generator is a seeded std::mt19937 here; the
// seed is printed on failure): whatever the bottle and the request, the VM's
// allowlist is exactly its alias /32, the proxy variables point at that
// alias, and secrets stay off every command line; the version policy is a
// threshold at 1.1.3.
#include "bottle-run/backends/smolmachines/plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace sm = bottle::run::smolmachines;
using bottle::net::address_v4;

namespace {

const std::vector<std::string> names = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy", "NO_PROXY",
                                        "no_proxy",   "LANG",        "HOME",      "PATH",       "FOO",         "BOT_BOTTLE_ID", "TOKEN"};

std::uint32_t seed() {
    static const std::uint32_t s = std::random_device{}();
    return s;
}

}  // namespace

TEST(SmolvmPlanRandom, AllowlistIsTheAliasAndProxyPointsThere) {
    std::mt19937 g(seed());
    auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(g); };
    auto value = [&] {
        static const std::string chars = "abc:/._-= 0123";
        std::string v;
        for (std::size_t i = pick(12); i > 0; --i) v += chars[pick(chars.size())];
        return v;
    };
    for (int iter = 0; iter < 2000; ++iter) {
        SCOPED_TRACE("seed " + std::to_string(seed()) + ", iteration " + std::to_string(iter));
        const auto alias = address_v4(0x7f000010u + static_cast<std::uint32_t>(pick(16)));
        sm::smolvm_request r;
        r.argv = {"agent"};
        r.bottle_id = "bb-" + std::to_string(pick(1000000));
        r.stage_dir = "/run/x";
        if (pick(2)) r.workspace = "/w";
        if (pick(2)) r.from = "/a.smolmachine";
        const std::string secret = "SECRET-" + std::to_string(pick(1000000));
        for (std::size_t i = pick(6); i > 0; --i) r.launcher_env[names[pick(names.size())]] = value();
        if (pick(2)) r.credential_env["TOKEN"] = secret;
        bottle::manifest::bottle_spec b;
        b.name = "b";
        for (std::size_t i = pick(6); i > 0; --i) b.env[names[pick(names.size())]] = value();
        for (std::size_t i = pick(4); i > 0; --i) b.egress.push_back({std::vector<std::string>{"a.test", "*.b.test", "10.0.0.1"}[pick(3)], {}});

        auto p = sm::plan_for(b, r, alias);
        ASSERT_TRUE(p) << p.error().message;
        const std::string cidr = alias.to_string() + "/32";
        ASSERT_EQ(p->allowlist, std::vector<std::string>{cidr});
        std::vector<std::string> allow_cidrs;
        for (std::size_t i = 0; i + 1 < p->create.size(); ++i)
            if (p->create[i] == "--allow-cidr") allow_cidrs.push_back(p->create[i + 1]);
        ASSERT_EQ(allow_cidrs, std::vector<std::string>{cidr});
        ASSERT_EQ(std::find(p->create.begin(), p->create.end(), "--allow-host"), p->create.end());
        const std::string url = "http://" + alias.to_string() + ":3128";
        for (const char* v : {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"})
            ASSERT_EQ(std::count(p->env.begin(), p->env.end(), std::string(v) + "=" + url), 1) << v;
        for (const auto& e : p->env) {
            const auto k = e.substr(0, e.find('='));
            if (k.find("PROXY") != std::string::npos || k.find("proxy") != std::string::npos) {
                ASSERT_TRUE(e == k + "=" + url || e == k + "=") << e;
            }
            if (r.credential_env.count("TOKEN")) {
                ASSERT_NE(k, "TOKEN") << "a credential in the persisted env";
            }
        }
        for (const auto* argv : {&p->create, &p->start, &p->exec, &p->stop, &p->remove})
            for (const auto& a : *argv) ASSERT_EQ(a.find(secret), std::string::npos) << a;
    }
}

TEST(SmolvmPlanRandom, VersionTextRoundTripsAndPolicyIsAThreshold) {
    std::mt19937 g(seed());
    std::uniform_int_distribution<unsigned> part(0, 999999), small(0, 12);
    for (int iter = 0; iter < 5000; ++iter) {
        SCOPED_TRACE("seed " + std::to_string(seed()) + ", iteration " + std::to_string(iter));
        const bool near = iter % 2 == 0;  // half around the thresholds
        const sm::smolvm_version v{near ? small(g) % 3 : part(g), near ? small(g) : part(g), near ? small(g) : part(g)};
        ASSERT_EQ(sm::parse_version("smolvm " + v.text() + " (rev)"), std::optional<sm::smolvm_version>(v));
        const bool from = iter % 3 == 0;
        const auto j = sm::judge_version(v, from);
        ASSERT_EQ(j.allowed, v >= sm::first_enforcing) << v.text();
        ASSERT_EQ(j.expect_dropped_allowlist, j.allowed && from && v < sm::first_keeping_from_allowlist) << v.text();
        ASSERT_FALSE(j.message.empty());
    }
}
