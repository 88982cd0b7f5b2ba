// tests/egress/egress_fixture.hpp — a fixture that starts bottle-egress on
// 127.0.0.1 with a decision log in a temp dir and a fake DNS server as its
// only nameserver, so no test can make the proxy query a real resolver.
#pragma once

#include "egress_harness.hpp"
#include "fake_dns.hpp"
#include "proxy_process.hpp"
#include "tls_hello.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace bottle::egress::testing {

class EgressProxy : public ::testing::Test {
protected:
    test_support::temp_dir dir{"bottle-egress-test"};
    fake_dns dns{"127.0.0.1"};
    std::filesystem::path log_path = dir.path() / "decisions.jsonl";
    std::unique_ptr<proxy_process> proxy;
    std::uint16_t port = 0;

    /// Starts the proxy with `args` plus --listen, --log and --nameserver.
    void start(std::vector<std::string> args, int inherit_fd = -1) {
        if (inherit_fd < 0) args.insert(args.end(), {"--listen", "127.0.0.1:0"});
        args.insert(args.end(), {"--log", log_path.string(), "--nameserver", dns.endpoint(), "--bottle-id", "test-bottle"});
        proxy = std::make_unique<proxy_process>(std::move(args), inherit_fd);
        const auto p = proxy->ready();
        ASSERT_TRUE(p.has_value()) << "no ready line: " << proxy->ready_line() << proxy->wait().err;
        port = *p;
    }

    int connect_proxy() { return tcp_connect("127.0.0.1", port); }

    /// Sends a CONNECT and returns the response head.
    std::string connect_head(int fd, const std::string& authority) {
        send_all(fd, "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");
        return recv_head(fd);
    }

    static bool is_status(const std::string& head, int status) {
        return head.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0) == 0;
    }
};

}  // namespace bottle::egress::testing
