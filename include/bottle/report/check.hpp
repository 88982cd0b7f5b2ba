// bottle/report/check.hpp — the outcome of one prerequisite check.
//
// Used by bottle-preflight (and later bottle-run's preflight step): a check
// has a stable `id` ("native.userns"), a `category` (the backend), a short
// `title`, a `status`, what it `found` and the `remedy` that fixes a warn or
// fail. A default-constructed result is `fail`: "ok" is only ever reached by
// a check that positively confirmed the prerequisite.
#pragma once

#include "bottle/result.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace bottle::report {

/// ok: confirmed. warn: usable, but weaker or unconfirmed. fail: missing.
enum class check_status : std::uint8_t { ok = 0, warn = 1, fail = 2 };

inline constexpr std::array<check_status, 3> all_check_statuses{check_status::ok, check_status::warn,
                                                                check_status::fail};

/// "ok", "warn" or "fail" (stable; used in JSON).
[[nodiscard]] constexpr std::string_view to_string(check_status s) noexcept {
    switch (s) {
        case check_status::ok: return "ok";
        case check_status::warn: return "warn";
        case check_status::fail: return "fail";
    }
    return "fail";
}

/// Parses an exact lowercase status name; errc::invalid_argument otherwise.
[[nodiscard]] inline result<check_status> parse_check_status(std::string_view text) {
    for (check_status s : all_check_statuses) {
        if (to_string(s) == text) return s;
    }
    return make_error(errc::invalid_argument,
                      "unknown check status '" + std::string(text) + "': expected one of ok, warn, fail");
}

struct check_result {
    std::string id{};        ///< stable: "<category>.<name>", e.g. "native.userns"
    std::string category{};  ///< group, e.g. the backend: "native", "docker", "smolmachines"
    std::string title{};     ///< what is checked, for people: "user namespaces"
    check_status status = check_status::fail;
    std::string found{};     ///< what the check saw (version, value, error)
    std::string remedy{};    ///< the command or setting that fixes it; empty when ok

    friend bool operator==(const check_result&, const check_result&) = default;
};

struct check_summary {
    std::size_t ok = 0;
    std::size_t warn = 0;
    std::size_t fail = 0;
    friend bool operator==(const check_summary&, const check_summary&) = default;
};

/// Counts the results by status.
[[nodiscard]] inline check_summary summarize(std::span<const check_result> results) noexcept {
    check_summary s;
    for (const auto& r : results) {
        switch (r.status) {
            case check_status::ok: ++s.ok; break;
            case check_status::warn: ++s.warn; break;
            case check_status::fail: ++s.fail; break;
        }
    }
    return s;
}

}  // namespace bottle::report
