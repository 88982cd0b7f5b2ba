// bottle/policy/public_suffixes.hpp — which names are public suffixes: names
// under which anyone can register a domain or publish a site ("com",
// "co.uk", "github.io"). A route for a public suffix, or a wildcard over one,
// lets an agent reach hosts nobody chose, so make_route refuses them.
//
// Rules follow the Public Suffix List format: "co.uk" (exact), "*.ck"
// (every label under ck), "!www.ck" (an exception to a wildcard). Every
// single-label name is a public suffix by rule (the PSL's implicit "*"), so
// the lists only need names of two labels or more.
// `builtin_public_suffixes()` is a short list of widely used ones, each
// checked against Debian's `publicsuffix` package by a unit test;
// `load_public_suffixes` reads the whole list from a file (Debian:
// /usr/share/publicsuffix/public_suffix_list.dat). Unicode rules are
// converted to their A-labels (xn--...). Parsing is strict: a rule that is
// not a valid name is an error naming the line.
#pragma once

#include "bottle/policy/detail/punycode.hpp"
#include "bottle/policy/host_name.hpp"
#include "bottle/result.hpp"

#include <array>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <unordered_set>

namespace bottle::policy {

/// Debian's copy of the Public Suffix List (package `publicsuffix`).
inline constexpr std::string_view debian_public_suffix_list = "/usr/share/publicsuffix/public_suffix_list.dat";
/// Largest list file accepted, in bytes (Debian's is about 230 KB).
inline constexpr std::size_t max_public_suffix_file = 16u << 20;

class public_suffixes {
public:
    /// Adds one rule: "a.b", "*.a.b" or "!c.a.b" (Unicode labels allowed).
    /// Errors: parse_error naming the rule.
    [[nodiscard]] result<void> add_rule(std::string_view rule) {
        auto fail = [&](std::string why) {
            return make_error(errc::parse_error, "public suffix rule " + net::detail::quote(rule) + ": " + why);
        };
        enum { exact, wildcard, exception } kind = exact;
        std::string_view name = rule;
        if (name.starts_with("*.")) {
            kind = wildcard;
            name.remove_prefix(2);
        } else if (name.starts_with("!")) {
            kind = exception;
            name.remove_prefix(1);
        }
        std::string ascii;
        for (std::size_t start = 0; start <= name.size();) {
            auto dot = name.find('.', start);
            if (dot == std::string_view::npos) dot = name.size();
            auto label = detail::to_a_label(name.substr(start, dot - start));
            if (!label) return fail("not valid UTF-8");
            ascii += (ascii.empty() && start == 0 ? "" : ".") + *label;
            start = dot + 1;
        }
        auto c = canonical_host(ascii);
        if (!c) return fail(c.error().message);
        if (ip_literal(*c)) return fail("an IP address is not a suffix");
        (kind == exact ? exact_ : kind == wildcard ? wildcards_ : exceptions_).insert(std::move(*c));
        return {};
    }

    /// True when `name` (canonical, see canonical_host) is a public suffix:
    /// a single label, an exact rule, or one label under a wildcard rule
    /// that no exception names.
    [[nodiscard]] bool is_public_suffix(std::string_view name) const {
        const auto dot = name.find('.');
        if (dot == std::string_view::npos) return true;
        const std::string key(name);
        if (exceptions_.contains(key)) return false;
        if (exact_.contains(key)) return true;
        return wildcards_.contains(std::string(name.substr(dot + 1)));
    }

    /// Number of rules (exact, wildcard and exception).
    [[nodiscard]] std::size_t size() const noexcept { return exact_.size() + wildcards_.size() + exceptions_.size(); }

private:
    std::unordered_set<std::string> exact_, wildcards_, exceptions_;
};

/// Rules from text in the Public Suffix List format: one rule per line,
/// read up to the first whitespace; "//" comments and blank lines skipped.
/// Errors: parse_error naming the line number.
[[nodiscard]] inline result<public_suffixes> parse_public_suffixes(std::string_view text) {
    public_suffixes out;
    std::size_t line_no = 0;
    for (std::size_t start = 0; start < text.size();) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++line_no;
        if (const auto ws = line.find_first_of(" \t\r"); ws != std::string_view::npos) line = line.substr(0, ws);
        if (line.empty() || line.starts_with("//")) continue;
        if (auto r = out.add_rule(line); !r)
            return make_error(errc::parse_error, "line " + std::to_string(line_no) + ": " + r.error().message);
    }
    return out;
}

/// Reads a Public Suffix List file. Errors: not_found, io_error,
/// limit_exceeded (larger than max_public_suffix_file), parse_error (line).
[[nodiscard]] inline result<public_suffixes> load_public_suffixes(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
        const bool missing = ec == std::errc::no_such_file_or_directory;
        return make_error(missing ? errc::not_found : errc::io_error,
                          "cannot read the public suffix list " + path.string() + ": " + ec.message() +
                              (missing ? " (install Debian's publicsuffix package, or use the built-in list)" : ""));
    }
    if (size > max_public_suffix_file)
        return make_error(errc::limit_exceeded, "public suffix list " + path.string() + " is " + std::to_string(size) +
                                                    " bytes, more than the limit of " + std::to_string(max_public_suffix_file));
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) return make_error(errc::io_error, "reading the public suffix list " + path.string() + " failed");
    auto parsed = parse_public_suffixes(text);
    if (!parsed) return make_error(errc::parse_error, path.string() + ": " + parsed.error().message);
    return parsed;
}

/// Rules of the built-in list: common multi-label registry suffixes and
/// shared hosting domains where anyone can publish a site.
inline constexpr std::array<std::string_view, 77> builtin_public_suffix_rules{
    // registries
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk", "*.sch.uk",
    "com.au", "net.au", "org.au", "edu.au", "gov.au", "id.au",
    "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp",
    "com.br", "net.br", "org.br", "com.cn", "net.cn", "org.cn", "gov.cn",
    "co.nz", "net.nz", "org.nz", "co.in", "net.in", "org.in", "firm.in",
    "co.za", "org.za", "com.mx", "org.mx", "com.tr", "net.tr", "org.tr", "co.kr", "or.kr",
    "com.sg", "net.sg", "org.sg", "com.hk", "org.hk", "net.hk", "com.tw", "org.tw", "net.tw",
    "com.ar", "co.il", "org.il", "co.id", "com.my", "com.ph", "com.vn", "com.ua", "com.pl",
    "co.at", "com.es", "co.th", "eu.org",
    // shared hosting: anyone can publish a site under these
    "github.io", "gitlab.io", "githubusercontent.com", "herokuapp.com", "vercel.app", "netlify.app",
    "pages.dev", "workers.dev", "r2.dev", "appspot.com", "s3.amazonaws.com", "blogspot.com"};

/// The built-in list (built once; thread-safe).
[[nodiscard]] inline const public_suffixes& builtin_public_suffixes() {
    static const public_suffixes list = [] {
        public_suffixes p;
        for (auto rule : builtin_public_suffix_rules) (void)p.add_rule(rule);  // checked by a unit test
        return p;
    }();
    return list;
}

}  // namespace bottle::policy
