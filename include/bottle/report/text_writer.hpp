// bottle/report/text_writer.hpp — human-readable output for terminals and logs.
//
// Colour is used only when the caller says so; `colour_wanted` is the policy
// (a TTY, NO_COLOR unset or empty — see no-color.org — and TERM not "dumb"),
// with its inputs injected so tests can drive it; `colour_wanted_for_fd`
// reads them from the process. Text that came from outside (command output,
// file contents) is printed through `printable`, so escape sequences and other
// control bytes cannot repaint the user's terminal.
#pragma once

#include "bottle/report/check.hpp"
#include "bottle/report/finding.hpp"

#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

namespace bottle::report {

struct text_style {
    bool colour = false;
};

/// The colour policy: true only for a TTY, with NO_COLOR unset or empty and
/// TERM not "dumb". Arguments are the environment values (nullopt = unset).
[[nodiscard]] inline bool colour_wanted(bool is_tty, std::optional<std::string_view> no_color,
                                        std::optional<std::string_view> term) noexcept {
    if (!is_tty) return false;
    if (no_color && !no_color->empty()) return false;
    if (term && *term == "dumb") return false;
    return true;
}

/// `colour_wanted` for file descriptor `fd` and this process's environment.
[[nodiscard]] inline bool colour_wanted_for_fd(int fd) noexcept {
    const char* no_color = std::getenv("NO_COLOR");
    const char* term = std::getenv("TERM");
    return colour_wanted(::isatty(fd) == 1, no_color ? std::optional<std::string_view>(no_color) : std::nullopt,
                         term ? std::optional<std::string_view>(term) : std::nullopt);
}

/// `s` with every control byte (incl. ESC, DEL; excluding nothing) shown as
/// "\xNN", so it prints on one line and cannot carry terminal escapes.
[[nodiscard]] inline std::string printable(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size());
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xF];
        } else {
            out += ch;
        }
    }
    return out;
}

enum class text_colour { red, yellow, green, dim, bold };

/// `text` wrapped in the ANSI SGR sequence for `c` when `style.colour`.
[[nodiscard]] inline std::string paint(std::string_view text, text_colour c, text_style style) {
    if (!style.colour) return std::string(text);
    std::string_view code;
    switch (c) {
        case text_colour::red: code = "\x1b[1;31m"; break;
        case text_colour::yellow: code = "\x1b[1;33m"; break;
        case text_colour::green: code = "\x1b[32m"; break;
        case text_colour::dim: code = "\x1b[2m"; break;
        case text_colour::bold: code = "\x1b[1m"; break;
    }
    return std::string(code) + std::string(text) + "\x1b[0m";
}

/// Status label padded to 4 columns: "ok  ", "WARN", "FAIL".
[[nodiscard]] inline std::string status_label(check_status s, text_style style) {
    switch (s) {
        case check_status::ok: return paint("ok", text_colour::green, style) + "  ";
        case check_status::warn: return paint("WARN", text_colour::yellow, style);
        case check_status::fail: return paint("FAIL", text_colour::red, style);
    }
    return paint("FAIL", text_colour::red, style);
}

/// One line "STATUS  id  found", plus an indented "remedy:" line when the
/// check is not ok and has a remedy. `id_width` pads ids into a column.
inline void write_check(std::ostream& out, const check_result& c, text_style style, std::size_t id_width = 0) {
    std::string id = printable(c.id);
    if (id.size() < id_width) id.append(id_width - id.size(), ' ');
    out << status_label(c.status, style) << "  " << id << "  " << printable(c.found) << '\n';
    if (c.status != check_status::ok && !c.remedy.empty()) {
        out << "      ";  // under the id column
        out << paint("remedy:", text_colour::bold, style) << ' ' << printable(c.remedy) << '\n';
    }
}

/// Every check (one line each, remedies under failures and warnings), then a
/// summary line "N ok, N warn, N fail".
inline void write_checks(std::ostream& out, std::span<const check_result> checks, text_style style) {
    std::size_t width = 0;
    for (const auto& c : checks) width = std::max(width, printable(c.id).size());
    for (const auto& c : checks) write_check(out, c, style, width);
    const auto s = summarize(checks);
    out << s.ok << " ok, " << s.warn << " warn, " << s.fail << " fail\n";
}

/// "SEVERITY id subject: message", then "evidence:" and "remedy:" lines when set.
inline void write_finding(std::ostream& out, const finding& f, text_style style) {
    const auto sev = to_string(f.severity);
    std::string label(sev);
    std::transform(label.begin(), label.end(), label.begin(), [](char ch) { return static_cast<char>(ch - 'a' + 'A'); });
    const text_colour colour = at_least(f.severity, severity::high)     ? text_colour::red
                               : at_least(f.severity, severity::medium) ? text_colour::yellow
                                                                        : text_colour::dim;
    out << paint(label, colour, style) << ' ' << printable(f.id);
    if (!f.subject.empty()) out << ' ' << printable(f.subject);
    out << ": " << printable(f.message) << '\n';
    if (f.evidence.is_string()) {
        out << "  evidence: " << printable(f.evidence.get_string()) << '\n';
    } else if (!f.evidence.is_null()) {
        out << "  evidence: " << printable(boost::json::serialize(f.evidence)) << '\n';
    }
    if (!f.remedy.empty()) out << "  " << paint("remedy:", text_colour::bold, style) << ' ' << printable(f.remedy) << '\n';
}

}  // namespace bottle::report
