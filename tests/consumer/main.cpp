// Uses one header of each component through the installed package.
#include <bottle/manifest/canonical.hpp>
#include <bottle/net/cidr.hpp>
#include <bottle/net/subnet_hash.hpp>
#include <bottle/policy/allowlist_verifier.hpp>
#include <bottle/report/junit_writer.hpp>
#include <bottle/result.hpp>

#include <iostream>

int main() {
    auto c = bottle::net::cidr::parse("127.0.0.16/28");
    if (!c) {
        std::cerr << c.error().describe() << "\n";
        return 1;
    }
    auto bad = bottle::net::cidr::parse("010.0.0.1");
    if (bad) return 1;  // strict parsing must refuse octal spellings
    std::cout << "consumer ok\n";
    return 0;
}
