#include "bottle/net/cidr.hpp"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace {

using bottle::net::cidr;

void BM_ParseV4(benchmark::State& state) {
    const std::string text = "192.168.100.0/24";
    for (auto _ : state) benchmark::DoNotOptimize(cidr::parse(text));
}
BENCHMARK(BM_ParseV4);

void BM_ParseV6(benchmark::State& state) {
    const std::string text = "2001:db8:1234:5678::/64";
    for (auto _ : state) benchmark::DoNotOptimize(cidr::parse(text));
}
BENCHMARK(BM_ParseV6);

void BM_ParseRejectOctal(benchmark::State& state) {
    const std::string text = "010.0.0.1/8";
    for (auto _ : state) benchmark::DoNotOptimize(cidr::parse(text));
}
BENCHMARK(BM_ParseRejectOctal);

void BM_ContainsV4(benchmark::State& state) {
    const cidr net = cidr::parse("172.16.0.0/12").value();
    const auto a = bottle::net::parse_address("172.20.1.2").value();
    for (auto _ : state) benchmark::DoNotOptimize(net.contains(a));
}
BENCHMARK(BM_ContainsV4);

void BM_ContainsV6(benchmark::State& state) {
    const cidr net = cidr::parse("fd00::/8").value();
    const auto a = bottle::net::parse_address("fd12:3456::1").value();
    for (auto _ : state) benchmark::DoNotOptimize(net.contains(a));
}
BENCHMARK(BM_ContainsV6);

void BM_Classify(benchmark::State& state) {
    const auto a = bottle::net::parse_address("::ffff:169.254.169.254").value();
    for (auto _ : state) benchmark::DoNotOptimize(bottle::net::classify(a));
}
BENCHMARK(BM_Classify);

void BM_Format(benchmark::State& state) {
    const cidr net = cidr::parse("2001:db8:1234:5678::/64").value();
    for (auto _ : state) benchmark::DoNotOptimize(net.to_string());
}
BENCHMARK(BM_Format);

}  // namespace
