// bottle/result.hpp — errors as values at trust boundaries.
//
// Every fallible library function returns `bottle::result<T>`: either a value
// or a `bottle::error`, which carries a code from bot-bottle's own error
// category (for programs) and a message that says what failed, where, and —
// when there is one — what to do about it (for people). Exceptions never cross
// the library API; `.value()` on a failed result throws `bottle::error_exception`
// and is meant for tools' `main` and tests only.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <boost/throw_exception.hpp>

#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace bottle {

/// Error codes of bot-bottle's category. Values are stable (they appear in
/// JSON output); append, never renumber.
enum class errc : int {
    invalid_argument = 1,  ///< a caller-supplied value is out of its domain
    parse_error = 2,       ///< untrusted input is not well-formed
    limit_exceeded = 3,    ///< an explicit limit (size, depth, count) was hit
    not_found = 4,         ///< a named thing (file, row, key) does not exist
    io_error = 5,          ///< the OS refused or failed an operation
    database_error = 6,    ///< SQLite reported an error (locked, corrupt, ...)
    mismatch = 7,          ///< a persisted value differs from the wanted one
    conflict = 8,          ///< two definitions disagree (duplicate, cycle)
    exhausted = 9,         ///< a pool or space has no free element left
    unsupported = 10,      ///< valid input that this version does not handle
    permission_denied = 11,
    timeout = 12,
    internal = 13,         ///< a broken invariant: a bug in bot-bottle
};

namespace detail {

class error_category_impl final : public boost::system::error_category {
public:
    constexpr error_category_impl() noexcept : boost::system::error_category(0xb0771e5ca7e90001ULL) {}
    const char* name() const noexcept override { return "bottle"; }
    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
            case errc::invalid_argument: return "invalid argument";
            case errc::parse_error: return "parse error";
            case errc::limit_exceeded: return "limit exceeded";
            case errc::not_found: return "not found";
            case errc::io_error: return "I/O error";
            case errc::database_error: return "database error";
            case errc::mismatch: return "mismatch";
            case errc::conflict: return "conflict";
            case errc::exhausted: return "exhausted";
            case errc::unsupported: return "unsupported";
            case errc::permission_denied: return "permission denied";
            case errc::timeout: return "timed out";
            case errc::internal: return "internal error";
        }
        return "unknown bottle error";
    }
};

}  // namespace detail

/// The category of `bottle::errc`.
inline const boost::system::error_category& error_category() noexcept {
    static constexpr detail::error_category_impl instance;
    return instance;
}

inline boost::system::error_code make_error_code(errc code) noexcept {
    return {static_cast<int>(code), error_category()};
}

/// A failure: a machine-checkable code plus a message for people.
/// The message names the subject (file, JSON pointer, machine, address);
/// `code.message()` is only the generic text of the code.
struct error {
    boost::system::error_code code;
    std::string message;

    /// "message (parse error)" — for logs and exceptions.
    [[nodiscard]] std::string describe() const {
        return message.empty() ? code.message() : message + " (" + code.message() + ")";
    }
    friend bool operator==(const error& a, const error& b) { return a.code == b.code && a.message == b.message; }
};

/// Thrown by `result<T>::value()` on failure; carries the whole error.
class error_exception : public std::runtime_error {
public:
    explicit error_exception(error e) : std::runtime_error(e.describe()), error_(std::move(e)) {}
    [[nodiscard]] const error& get() const noexcept { return error_; }

private:
    error error_;
};

/// Found by boost::system::result through ADL when `.value()` fails.
[[noreturn]] inline void throw_exception_from_error(const error& e, const boost::source_location& loc) {
    boost::throw_exception(error_exception(e), loc);
}

/// Builds an error from a code and a message that says what failed.
[[nodiscard]] inline error make_error(errc code, std::string message) {
    return error{make_error_code(code), std::move(message)};
}

/// A value or a `bottle::error`. Functions returning it are `[[nodiscard]]`.
template <class T>
using result = boost::system::result<T, error>;

/// True when `r` failed with code `code`.
template <class T>
[[nodiscard]] bool failed_with(const result<T>& r, errc code) {
    return r.has_error() && r.error().code == make_error_code(code);
}

}  // namespace bottle

template <>
struct boost::system::is_error_code_enum<bottle::errc> : std::true_type {};
