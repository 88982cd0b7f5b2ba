// tests/egress/fake_dns.hpp — a UDP DNS server on loopback for the egress
// tests: answers A and AAAA from a table the test may change between
// queries, or from a sequence that moves on by itself with every query of a
// type (a rebinding server: a public address first, an internal one next),
// NXDOMAIN for names it does not know, and records every query.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bottle::egress::testing {

class fake_dns {
public:
    explicit fake_dns(const std::string& ip) {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("fake_dns: bind failed");
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        endpoint_ = ip + ":" + std::to_string(ntohs(a.sin_port));
        timeval tv{0, 100'000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        thread_ = std::thread([this] { serve(); });
    }
    ~fake_dns() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }

    /// "127.0.0.1:PORT" for --nameserver.
    [[nodiscard]] const std::string& endpoint() const { return endpoint_; }

    void answer(const std::string& name, std::vector<std::string> addresses) {
        std::lock_guard lock(mutex_);
        table_[name] = std::move(addresses);
    }
    /// The k-th A (and, separately, the k-th AAAA) query for `name` is
    /// answered from sets[k], the last set once they run out; TTL 0. Replaces
    /// any fixed answer for the name.
    void answer_sequence(const std::string& name, std::vector<std::vector<std::string>> sets) {
        std::lock_guard lock(mutex_);
        table_.erase(name);
        sequences_[name] = std::move(sets);
        asked_[name + "/A"] = asked_[name + "/AAAA"] = 0;
    }
    /// Names queried so far, "name/A" or "name/AAAA", in order.
    [[nodiscard]] std::vector<std::string> queries() {
        std::lock_guard lock(mutex_);
        return queries_;
    }

private:
    void serve() {
        unsigned char buf[512];
        while (!stop_) {
            sockaddr_in from{};
            socklen_t len = sizeof from;
            const ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
            if (n < 12) continue;
            std::string name;
            std::size_t at = 12;
            while (at < static_cast<std::size_t>(n) && buf[at] != 0) {
                const std::size_t l = buf[at];
                if (!name.empty()) name += '.';
                name.append(reinterpret_cast<const char*>(buf + at + 1), std::min<std::size_t>(l, static_cast<std::size_t>(n) - at - 1));
                at += l + 1;
            }
            if (at + 5 > static_cast<std::size_t>(n)) continue;
            const int qtype = buf[at + 1] << 8 | buf[at + 2];
            const std::size_t question_end = at + 5;
            std::vector<std::string> addresses;
            bool known = false;
            char ttl = 0x3c;
            {
                std::lock_guard lock(mutex_);
                queries_.push_back(name + (qtype == 28 ? "/AAAA" : qtype == 1 ? "/A" : "/other"));
                if (auto it = table_.find(name); it != table_.end()) {
                    known = true;
                    addresses = it->second;
                } else if (auto seq = sequences_.find(name); seq != sequences_.end() && !seq->second.empty()) {
                    known = true;
                    std::size_t& k = asked_[name + (qtype == 28 ? "/AAAA" : "/A")];
                    addresses = seq->second[std::min(k, seq->second.size() - 1)];
                    ++k;
                    ttl = 0;
                }
            }
            std::string reply(reinterpret_cast<const char*>(buf), question_end);
            reply[2] = static_cast<char>(0x81);
            reply[3] = static_cast<char>(known ? 0x80 : 0x83);  // NOERROR / NXDOMAIN
            reply[6] = reply[7] = reply[8] = reply[9] = reply[10] = reply[11] = 0;
            int count = 0;
            for (const auto& text : addresses) {
                const auto a = boost::asio::ip::make_address(text);
                if ((qtype == 1) != a.is_v4() || (qtype != 1 && qtype != 28)) continue;
                std::string rdata;
                if (a.is_v4()) {
                    const auto b = a.to_v4().to_bytes();
                    rdata.assign(b.begin(), b.end());
                } else {
                    const auto b = a.to_v6().to_bytes();
                    rdata.assign(b.begin(), b.end());
                }
                reply += std::string("\xc0\x0c", 2) + static_cast<char>(0) + static_cast<char>(qtype) + std::string("\x00\x01", 2) +
                         std::string("\x00\x00\x00", 3) + ttl + static_cast<char>(0) + static_cast<char>(rdata.size()) + rdata;
                ++count;
            }
            reply[7] = static_cast<char>(count);
            ::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
    }

    int fd_ = -1;
    std::string endpoint_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::map<std::string, std::vector<std::string>> table_;
    std::map<std::string, std::vector<std::vector<std::string>>> sequences_;
    std::map<std::string, std::size_t> asked_;
    std::vector<std::string> queries_;
    std::thread thread_;
};

}  // namespace bottle::egress::testing
