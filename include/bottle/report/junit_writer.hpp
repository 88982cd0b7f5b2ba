// bottle/report/junit_writer.hpp — generic JUnit XML (for CI dashboards).
//
// Model: a report has named suites (one per category), each a list of test
// cases {classname, name, status, message, detail, time}. Nothing here knows
// about findings, probes or checks: callers map their results onto cases, e.g.
// the escape harness maps ESCAPED -> failure, ERROR -> error, N/A -> skipped.
//
//   bottle::report::junit_report r("bottle-escape");
//   r.add("net", {.classname = "escape.net", .name = "tcp4_direct",
//                 .status = bottle::report::case_status::failure,
//                 .message = "ESCAPED: sink saw the tag", .detail = "...", .time_seconds = 0.12});
//   auto xml = bottle::report::to_junit_xml(r);   // result<std::string>
//
// Output (pugixml; attribute/text escaping is pugixml's):
//   <testsuites name tests failures errors skipped time>
//     <testsuite name tests failures errors skipped time>
//       <testcase classname name time>
//         <failure message="..." type="failure">detail</failure>   (or <error>, <skipped>)
//         <system-out>detail</system-out>                           (passed with detail)
// Text is made well-formed: bytes XML 1.0 forbids (controls other than tab,
// LF, CR) become "\xNN", invalid UTF-8 becomes U+FFFD.
// A default-constructed case has status `error`: a case nobody filled in is
// never reported as passed.
#pragma once

#include "bottle/result.hpp"

#include <pugixml.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bottle::report {

enum class case_status { passed, failure, error, skipped };

/// "passed", "failure", "error", "skipped".
[[nodiscard]] constexpr std::string_view to_string(case_status s) noexcept {
    switch (s) {
        case case_status::passed: return "passed";
        case case_status::failure: return "failure";
        case case_status::error: return "error";
        case case_status::skipped: return "skipped";
    }
    return "error";
}

struct test_case {
    std::string classname{};            ///< dotted group, e.g. "escape.net"; may be empty
    std::string name{};                 ///< required, e.g. "tcp4_direct"
    case_status status = case_status::error;
    std::string message{};              ///< one line: why it failed / was skipped
    std::string detail{};               ///< free text: element body (or <system-out> when passed)
    double time_seconds = 0.0;        ///< finite, >= 0
};

struct test_suite {
    std::string name{};                 ///< required, e.g. the category "net"
    std::vector<test_case> cases{};
};

struct case_counts {
    std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
    double time_seconds = 0.0;
    friend bool operator==(const case_counts&, const case_counts&) = default;
};

/// Counts a suite's cases by status and sums their times.
[[nodiscard]] inline case_counts count(const test_suite& suite) noexcept {
    case_counts c;
    for (const auto& t : suite.cases) {
        ++c.tests;
        c.time_seconds += t.time_seconds;
        switch (t.status) {
            case case_status::passed: break;
            case case_status::failure: ++c.failures; break;
            case case_status::error: ++c.errors; break;
            case case_status::skipped: ++c.skipped; break;
        }
    }
    return c;
}

/// A named collection of suites; `add` files each case under its suite,
/// creating suites in first-seen order so output order is deterministic.
class junit_report {
public:
    explicit junit_report(std::string name) : name_(std::move(name)) {}

    void add(std::string_view suite, test_case c) {
        for (auto& s : suites_) {
            if (s.name == suite) { s.cases.push_back(std::move(c)); return; }
        }
        suites_.push_back(test_suite{std::string(suite), {std::move(c)}});
    }
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] const std::vector<test_suite>& suites() const noexcept { return suites_; }

    /// Totals over every suite.
    [[nodiscard]] case_counts totals() const noexcept {
        case_counts t;
        for (const auto& s : suites_) {
            const auto c = count(s);
            t.tests += c.tests; t.failures += c.failures; t.errors += c.errors; t.skipped += c.skipped;
            t.time_seconds += c.time_seconds;
        }
        return t;
    }

private:
    std::string name_{};
    std::vector<test_suite> suites_;
};

namespace detail {

/// Length of the valid UTF-8 sequence at s[i], or 0 if it is invalid
/// (overlong forms, surrogates and values above U+10FFFF are invalid).
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) { n = 3; lo = 0xA0; }
    else if (c >= 0xE1 && c <= 0xEC) n = 3;
    else if (c == 0xED) { n = 3; hi = 0x9F; }
    else if (c >= 0xEE && c <= 0xEF) n = 3;
    else if (c == 0xF0) { n = 4; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) { n = 4; hi = 0x8F; }
    else return 0;
    if (i + n > s.size()) return 0;
    if (b(i + 1) < lo || b(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k) {
        if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
    }
    return n;
}

/// Text that is well-formed in XML 1.0 (see the banner).
inline std::string xml_safe(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out{};
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xF];
            ++i;
            continue;
        }
        const std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
            continue;
        }
        // U+FFFE and U+FFFF are not XML characters either.
        if (n == 3 && c == 0xEF && static_cast<unsigned char>(s[i + 1]) == 0xBF &&
            static_cast<unsigned char>(s[i + 2]) >= 0xBE) {
            out += "\xEF\xBF\xBD";
        } else {
            out.append(s.substr(i, n));
        }
        i += n;
    }
    return out;
}

/// Seconds with three decimals, locale-independent ("0.120").
inline std::string seconds_text(double s) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, s, std::chars_format::fixed, 3);
    return r.ec == std::errc{} ? std::string(buf, r.ptr) : std::string("0.000");
}

inline void set_counts(pugi::xml_node node, const case_counts& c) {
    node.append_attribute("tests") = std::to_string(c.tests).c_str();
    node.append_attribute("failures") = std::to_string(c.failures).c_str();
    node.append_attribute("errors") = std::to_string(c.errors).c_str();
    node.append_attribute("skipped") = std::to_string(c.skipped).c_str();
    node.append_attribute("time") = seconds_text(c.time_seconds).c_str();
}

}  // namespace detail

/// The report as a UTF-8 JUnit XML document (with XML declaration).
/// Fails with errc::invalid_argument, naming the suite/case, when a suite or
/// case name is empty or a time is negative or not finite.
[[nodiscard]] inline result<std::string> to_junit_xml(const junit_report& report) {
    pugi::xml_document doc;
    auto decl = doc.append_child(pugi::node_declaration);
    decl.append_attribute("version") = "1.0";
    decl.append_attribute("encoding") = "UTF-8";
    auto root = doc.append_child("testsuites");
    root.append_attribute("name") = detail::xml_safe(report.name()).c_str();
    detail::set_counts(root, report.totals());
    for (const auto& suite : report.suites()) {
        if (suite.name.empty()) return make_error(errc::invalid_argument, "JUnit suite with an empty name");
        auto s = root.append_child("testsuite");
        s.append_attribute("name") = detail::xml_safe(suite.name).c_str();
        detail::set_counts(s, count(suite));
        for (const auto& tc : suite.cases) {
            if (tc.name.empty())
                return make_error(errc::invalid_argument, "JUnit case with an empty name in suite '" + suite.name + "'");
            if (!std::isfinite(tc.time_seconds) || tc.time_seconds < 0)
                return make_error(errc::invalid_argument, "JUnit case '" + tc.name + "' in suite '" + suite.name +
                                                              "' has a negative or non-finite time");
            auto c = s.append_child("testcase");
            c.append_attribute("classname") = detail::xml_safe(tc.classname).c_str();
            c.append_attribute("name") = detail::xml_safe(tc.name).c_str();
            c.append_attribute("time") = detail::seconds_text(tc.time_seconds).c_str();
            if (tc.status == case_status::passed) {
                if (!tc.detail.empty())
                    c.append_child("system-out").text().set(detail::xml_safe(tc.detail).c_str());
                continue;
            }
            const std::string tag(to_string(tc.status));
            auto e = c.append_child(tag.c_str());
            e.append_attribute("message") = detail::xml_safe(tc.message).c_str();
            if (tc.status != case_status::skipped) e.append_attribute("type") = tag.c_str();
            if (!tc.detail.empty()) e.text().set(detail::xml_safe(tc.detail).c_str());
        }
    }
    std::ostringstream out;
    doc.save(out, "  ", pugi::format_indent, pugi::encoding_utf8);
    return out.str();
}

}  // namespace bottle::report
