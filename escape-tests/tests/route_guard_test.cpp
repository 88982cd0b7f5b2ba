// bottle-probe's route guard (lab/route_guard.hpp) on crafted routing tables:
// the lab's own, a container of the lab's dockerd, a sandbox's empty
// namespace (all accepted), and every way a real network shows up (refused).
#include "lab/route_guard.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using bottle::escape::lab::judge_routes;

const std::string v4_header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

// One /proc/net/route line; addresses as the kernel prints them on a
// little-endian machine (the host's u32 of the network-order address).
std::string v4_line(const std::string& dev, const std::string& dst, const std::string& gw, const std::string& flags,
                    const std::string& mask) {
    return dev + "\t" + dst + "\t" + gw + "\t" + flags + "\t0\t0\t0\t" + mask + "\t0\t0\t0\n";
}

std::string v6_line(const std::string& dst, const std::string& plen, const std::string& gw, const std::string& flags,
                    const std::string& dev) {
    return dst + " " + plen + " 00000000000000000000000000000000 00 " + gw + " 00000100 00000001 00000000 " + flags + " " + dev + "\n";
}

const std::string zero6 = "00000000000000000000000000000000";
// What every namespace with IPv6 shows on lo: ::1 (local) and the
// unreachable default (RTF_REJECT), which reaches nothing.
const std::string lo_v6 = v6_line("00000000000000000000000000000001", "80", zero6, "80200001", "lo") +
                          v6_line(zero6, "00", zero6, "00200200", "lo");

// The lab host's namespace: default routes to the world end of the link.
const std::string lab_v4 = v4_header + v4_line("bbxl1a2b", "00000000", "0100C80A", "0003", "00000000") +
                           v4_line("bbxl1a2b", "0000C80A", "00000000", "0001", "00FFFFFF");
const std::string lab_v6 = v6_line("fd000200000000000000000000000000", "40", zero6, "00000001", "bbxl1a2b") +
                           v6_line("fe800000000000000000000000000000", "40", zero6, "00000001", "bbxl1a2b") +
                           v6_line(zero6, "00", "fd000200000000000000000000000001", "00000003", "bbxl1a2b") +
                           v6_line("fd000200000000000000000000000002", "80", zero6, "80200001", "bbxl1a2b") +
                           v6_line("ff000000000000000000000000000000", "08", zero6, "00000001", "bbxl1a2b") + lo_v6;

// This kind of machine: eth0 with a real gateway on both families.
const std::string host_v4 = v4_header + v4_line("eth0", "00000000", "010200C0", "0003", "00000000") +
                            v4_line("eth0", "000200C0", "00000000", "0001", "00FFFFFF");
const std::string host_v6 = v6_line("fd000000000000000000000000000000", "40", zero6, "00000001", "eth0") +
                            v6_line("fe800000000000000000000000000000", "40", zero6, "00000001", "eth0") +
                            v6_line(zero6, "00", "fd000000000000000000000000000001", "00000003", "eth0") + lo_v6;

TEST(RouteGuard, TheLabHostNamespaceIsAccepted) {
    const auto j = judge_routes(lab_v4, lab_v6);
    EXPECT_TRUE(j.lab_only) << j.why;
}

TEST(RouteGuard, ARealHostIsRefusedWithTheRouteNamed) {
    const auto j = judge_routes(host_v4, host_v6);
    EXPECT_FALSE(j.lab_only);
    EXPECT_NE(j.why.find("default route on eth0 via 192.0.2.1"), std::string::npos) << j.why;
}

TEST(RouteGuard, AnEmptySandboxNamespaceIsAccepted) {
    // bwrap --unshare-net, firejail --net=none: lo only, nothing can leave.
    EXPECT_TRUE(judge_routes(v4_header, lo_v6).lab_only);
    EXPECT_TRUE(judge_routes(v4_header, std::nullopt).lab_only);
    // A fresh namespace that never had a main table prints nothing at all.
    EXPECT_TRUE(judge_routes("", lo_v6).lab_only);
}

TEST(RouteGuard, AContainerOfTheLabDockerdIsAcceptedAnOrdinaryContainerIsNot) {
    const std::string lab_container = v4_header + v4_line("eth0", "00000000", "0101C80A", "0003", "00000000") +
                                      v4_line("eth0", "0001C80A", "00000000", "0001", "00FFFFFF");
    const std::string link_local = v6_line("fe800000000000000000000000000000", "40", zero6, "00000001", "eth0") + lo_v6;
    EXPECT_TRUE(judge_routes(lab_container, link_local).lab_only) << judge_routes(lab_container, link_local).why;
    // docker's default bridge on a networked host (CI inside a container).
    const std::string host_container = v4_header + v4_line("eth0", "00000000", "010011AC", "0003", "00000000") +
                                       v4_line("eth0", "000011AC", "00000000", "0001", "0000FFFF");
    const auto j = judge_routes(host_container, link_local);
    EXPECT_FALSE(j.lab_only);
    EXPECT_NE(j.why.find("172.17.0.1"), std::string::npos) << j.why;
}

TEST(RouteGuard, ConnectedRoutesOutsideTheLabLinksAreRefused) {
    // No default route, but a LAN: the probe would reach its hosts.
    auto j = judge_routes(v4_header + v4_line("eth0", "0001A8C0", "00000000", "0001", "00FFFFFF"), lo_v6);
    EXPECT_FALSE(j.lab_only);
    EXPECT_NE(j.why.find("192.168.1.0/24"), std::string::npos) << j.why;
    // A sink range is never connected in the lab (it sits behind the gateway).
    EXPECT_FALSE(judge_routes(v4_header + v4_line("eth0", "007100CB", "00000000", "0001", "00FFFFFF"), lo_v6).lab_only);
    // A route wider than a lab link (10.0.0.0/8 holds 10.200.0.0/24) is refused.
    EXPECT_FALSE(judge_routes(v4_header + v4_line("eth0", "0000000A", "00000000", "0001", "000000FF"), lo_v6).lab_only);
    // A default route with no gateway (a tunnel device) leaves too.
    j = judge_routes(v4_header + v4_line("tun0", "00000000", "00000000", "0001", "00000000"), lo_v6);
    EXPECT_FALSE(j.lab_only);
    EXPECT_NE(j.why.find("default route on tun0"), std::string::npos) << j.why;
}

TEST(RouteGuard, OnlyTheLabGatewaysAreAccepted) {
    // 10.200.0.5 is in the lab's /16 but is neither lab gateway.
    const auto j = judge_routes(v4_header + v4_line("bbxl1a2b", "00000000", "0500C80A", "0003", "00000000") +
                                    v4_line("bbxl1a2b", "0000C80A", "00000000", "0001", "00FFFFFF"),
                                lo_v6);
    EXPECT_FALSE(j.lab_only);
    EXPECT_NE(j.why.find("10.200.0.5"), std::string::npos) << j.why;
}

TEST(RouteGuard, IPv6AloneIsEnoughToRefuse) {
    // A lab-looking IPv4 table does not excuse a real IPv6 default route.
    auto j = judge_routes(lab_v4, host_v6);
    EXPECT_FALSE(j.lab_only);
    EXPECT_NE(j.why.find("fd00::/64 on eth0"), std::string::npos) << j.why;
    j = judge_routes(lab_v4, v6_line(zero6, "00", "fd000000000000000000000000000001", "00000003", "bbxl1a2b") + lo_v6);
    EXPECT_FALSE(j.lab_only);
    EXPECT_NE(j.why.find("default route on bbxl1a2b via fd00::1"), std::string::npos) << j.why;
    // Link-local routes count only on an interface that carries a lab route.
    const std::string ll_eth0 = v6_line("fe800000000000000000000000000000", "40", zero6, "00000001", "eth0") + lo_v6;
    EXPECT_FALSE(judge_routes(v4_header, ll_eth0).lab_only);
    EXPECT_FALSE(judge_routes(lab_v4, ll_eth0).lab_only);
}

TEST(RouteGuard, RoutesThatReachNothingAreIgnored) {
    // Reject routes (unreachable/prohibit) and routes that are not up.
    const std::string v4 = v4_header + v4_line("eth0", "00000000", "010200C0", "0002", "00000000") +
                           v4_line("eth0", "0001A8C0", "00000000", "0201", "00FFFFFF");
    EXPECT_TRUE(judge_routes(v4, lo_v6).lab_only) << judge_routes(v4, lo_v6).why;
}

TEST(RouteGuard, TablesThatCannotBeParsedFailClosed) {
    EXPECT_FALSE(judge_routes("eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", lo_v6).lab_only);  // no header
    EXPECT_FALSE(judge_routes(v4_header + "eth0 garbage\n", lo_v6).lab_only);
    EXPECT_FALSE(judge_routes(v4_header + v4_line("eth0", "0000C80Z", "00000000", "0001", "00FFFFFF"), lo_v6).lab_only);
    EXPECT_FALSE(judge_routes(v4_header, std::string("fd00 40\n")).lab_only);
    EXPECT_FALSE(judge_routes(v4_header, v6_line(zero6, "81", zero6, "00000001", "eth0")).lab_only);  // prefix > 128
}

}  // namespace
