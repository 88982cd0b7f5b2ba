// tools/bottle-egress/resolver.hpp — name resolution on the proxy, with c-ares
// driven from the proxy's Asio event loop (no blocking getaddrinfo threads).
//
// The proxy resolves only names the policy already allowed, and gives every
// answer to the deny floor before it dials one of them. This resolver
// therefore promises what the floor needs: the whole answer set (A and AAAA)
// of exactly the name asked (no search-list completion, no HOSTALIASES, no
// /etc/hosts), or an error. Static answers (--resolve) replace DNS for their
// names; --nameserver sends every query to one server; otherwise the
// system's nameservers are used.
#pragma once

#include "bottle/net/cidr.hpp"
#include "bottle/result.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/udp.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bottle::egress {

using answer = result<std::vector<net::address>>;

struct resolver_options {
    /// Canonical name -> addresses; these names never reach DNS.
    std::map<std::string, std::vector<net::address>> static_answers;
    /// The one server every query goes to; empty = the system's configuration.
    std::optional<boost::asio::ip::udp::endpoint> nameserver;
    std::chrono::milliseconds timeout{2000};  ///< per try
    int tries = 2;
};

class resolver {
public:
    /// Errors: io_error when c-ares cannot be set up (no resolver configuration).
    [[nodiscard]] static result<std::unique_ptr<resolver>> create(boost::asio::any_io_executor executor, resolver_options options);
    ~resolver();
    resolver(const resolver&) = delete;
    resolver& operator=(const resolver&) = delete;

    /// Resolves `name` (canonical, not an IP literal) to all its IPv4 and
    /// IPv6 addresses, deduplicated, in answer order. The callback always
    /// runs later on the executor, never inside this call. Errors:
    /// not_found (no such name / no address), timeout, io_error.
    void resolve(const std::string& name, std::function<void(answer)> done);

    /// Asio form of `resolve`: completion signature void(answer).
    template <class Token>
    auto async_resolve(std::string name, Token&& token) {
        return boost::asio::async_initiate<Token, void(answer)>(
            [this](auto handler, std::string n) {
                auto shared = std::make_shared<decltype(handler)>(std::move(handler));
                resolve(n, [shared](answer a) { (*shared)(std::move(a)); });
            },
            token, std::move(name));
    }

    /// DNS queries sent so far (static answers not counted): tests use it to
    /// prove a denied name never caused one.
    [[nodiscard]] std::size_t queries() const noexcept { return queries_; }

private:
    struct impl;
    explicit resolver(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
    std::size_t queries_ = 0;
};

/// Parses "ADDR[:PORT]" / "[V6]:PORT" / "V6" (port 53 by default), strictly.
[[nodiscard]] result<boost::asio::ip::udp::endpoint> parse_nameserver(std::string_view text);

}  // namespace bottle::egress
