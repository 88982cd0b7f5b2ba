// bottle/net/subnet_hash.hpp — a bottle's /24 from its slug, the same
// everywhere.
//
// slug -> {subnet a.b.X.0/24, gateway a.b.X.1} inside a /16 base (default
// 192.168.0.0/16), X in 1..254. X starts at 1 + hash(slug) % 254 and probes
// linearly (254 wraps to 1) past the reserved octets and the caller's taken
// ones. The hash is FNV-1a 32-bit over the slug's UTF-8 bytes — documented
// with test vectors in docs/net.md — never std::hash, so the answer is the
// same across builds, platforms and runs. Templated on the hash and the
// reserved policy.
#pragma once

#include "bottle/net/cidr.hpp"
#include "bottle/net/detail/strict_text.hpp"
#include "bottle/result.hpp"

#include <bitset>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace bottle::net {

/// Longest slug accepted, in bytes.
inline constexpr std::size_t max_slug_bytes = 255;

/// FNV-1a, 32-bit (offset basis 0x811c9dc5, prime 0x01000193) over bytes.
/// Vectors: "" -> 0x811c9dc5, "a" -> 0xe40c292c, "foobar" -> 0xbf9cf968.
struct fnv1a_32 {
    [[nodiscard]] constexpr std::uint32_t operator()(std::string_view bytes) const noexcept {
        std::uint32_t h = 0x811c9dc5u;
        for (char c : bytes) {
            h ^= static_cast<unsigned char>(c);
            h *= 0x01000193u;
        }
        return h;
    }
};

/// A set of third octets (0..255).
class octet_set {
public:
    octet_set() = default;
    octet_set(std::initializer_list<std::uint8_t> octets) {
        for (auto o : octets) insert(o);
    }
    void insert(std::uint8_t o) noexcept { bits_.set(o); }
    [[nodiscard]] bool contains(std::uint8_t o) const noexcept { return bits_.test(o); }
    [[nodiscard]] std::size_t size() const noexcept { return bits_.count(); }

private:
    std::bitset<256> bits_;
};

/// Reserved policy: octets never handed out. The default holds 17
/// (192.168.17.0/24 is Docker's and several VPN clients' historical range).
struct docker_vpn_reserved {
    [[nodiscard]] constexpr bool is_reserved(std::uint8_t octet) const noexcept { return octet == 17; }
};

/// Reserved policy from a runtime set (e.g. a site's own VPN ranges).
struct reserved_octets {
    octet_set octets;
    [[nodiscard]] bool is_reserved(std::uint8_t octet) const noexcept { return octets.contains(octet); }
};

template <class H>
concept slug_hash = requires(const H& h, std::string_view s) {
    { h(s) } -> std::convertible_to<std::uint32_t>;
};

template <class R>
concept reserved_policy = requires(const R& r, std::uint8_t o) {
    { r.is_reserved(o) } -> std::convertible_to<bool>;
};

/// One bottle's network.
struct subnet_assignment {
    cidr subnet;          ///< a.b.X.0/24
    address_v4 gateway;   ///< a.b.X.1
    std::uint8_t octet;   ///< X, in 1..254
};

template <slug_hash Hash = fnv1a_32, reserved_policy Reserved = docker_vpn_reserved>
class basic_subnet_hash {
public:
    /// Over 192.168.0.0/16 with default-constructed policies.
    basic_subnet_hash()
        requires std::default_initializable<Hash> && std::default_initializable<Reserved>
        : base_(cidr::parse("192.168.0.0/16").value()) {}

    /// Over `base`. Errors: invalid_argument unless base is an IPv4 /16.
    [[nodiscard]] static result<basic_subnet_hash> make(const cidr& base, Hash hash = {}, Reserved reserved = {}) {
        if (!base.is_v4() || base.prefix() != 16)
            return make_error(errc::invalid_argument,
                              "subnet base " + base.to_string() + " must be an IPv4 /16 (e.g. 192.168.0.0/16)");
        return basic_subnet_hash(base, std::move(hash), std::move(reserved));
    }

    [[nodiscard]] const cidr& base() const noexcept { return base_; }

    /// Where probing starts for `slug`: 1 + hash(slug) % 254. Never fails;
    /// does not validate the slug.
    [[nodiscard]] std::uint8_t start_octet(std::string_view slug) const noexcept {
        return static_cast<std::uint8_t>(1 + static_cast<std::uint32_t>(hash_(slug)) % 254u);
    }

    /// The slug's network, skipping reserved octets and `taken`. Deterministic:
    /// the same slug, base, policies and taken set give the same answer.
    /// Errors: invalid_argument (empty slug, NUL byte, not valid UTF-8),
    /// limit_exceeded (slug longer than max_slug_bytes), exhausted (every
    /// octet 1..254 is reserved or taken; the message says how many of each).
    [[nodiscard]] result<subnet_assignment> assign(std::string_view slug, const octet_set& taken = {}) const {
        if (slug.empty()) return make_error(errc::invalid_argument, "empty slug: a bottle needs a name to get a subnet");
        if (slug.size() > max_slug_bytes)
            return make_error(errc::limit_exceeded, "slug is " + std::to_string(slug.size()) +
                                                        " bytes, more than the limit of " + std::to_string(max_slug_bytes));
        if (slug.find('\0') != std::string_view::npos || !detail::is_valid_utf8(slug))
            return make_error(errc::invalid_argument,
                              "slug " + detail::quote(slug) + " is not valid UTF-8 text (or contains NUL)");
        std::uint8_t x = start_octet(slug);
        for (int step = 0; step < 254; ++step) {
            if (!reserved_.is_reserved(x) && !taken.contains(x)) return assignment(x);
            x = x == 254 ? 1 : static_cast<std::uint8_t>(x + 1);
        }
        std::size_t reserved = 0, taken_only = 0;
        for (unsigned o = 1; o <= 254; ++o) {
            const auto octet = static_cast<std::uint8_t>(o);
            if (reserved_.is_reserved(octet)) ++reserved;
            else if (taken.contains(octet)) ++taken_only;
        }
        return make_error(errc::exhausted, "no free /24 in " + base_.to_string() + " for slug " + detail::quote(slug) +
                                               ": all 254 are in use (" + std::to_string(reserved) + " reserved, " +
                                               std::to_string(taken_only) +
                                               " taken); remove unused networks or choose another base");
    }

    /// Octets of the base whose /24 overlaps any of `networks` (e.g. the
    /// host's existing Docker networks and routes), for use as `taken`.
    [[nodiscard]] octet_set taken_by(std::span<const cidr> networks) const {
        octet_set out;
        const std::uint32_t b = base_.network().to_v4().to_uint();
        for (unsigned o = 1; o <= 254; ++o) {
            const cidr slash24 = cidr::make(address_v4(b | (o << 8)), 24).value();
            for (const cidr& n : networks)
                if (n.overlaps(slash24)) {
                    out.insert(static_cast<std::uint8_t>(o));
                    break;
                }
        }
        return out;
    }

private:
    basic_subnet_hash(cidr base, Hash hash, Reserved reserved)
        : base_(std::move(base)), hash_(std::move(hash)), reserved_(std::move(reserved)) {}

    [[nodiscard]] subnet_assignment assignment(std::uint8_t x) const {
        const std::uint32_t net = base_.network().to_v4().to_uint() | (std::uint32_t{x} << 8);
        return {cidr::make(address_v4(net), 24).value(), address_v4(net | 1u), x};
    }

    cidr base_;
    [[no_unique_address]] Hash hash_{};
    [[no_unique_address]] Reserved reserved_{};
};

/// The default: FNV-1a 32 over 192.168.0.0/16, 17 reserved.
using subnet_hash = basic_subnet_hash<>;

}  // namespace bottle::net
