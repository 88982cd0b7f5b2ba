// tests/support/text.hpp — small text checks shared by test files.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace bottle::test_support {

/// Whether `part` occurs in `s` (for messages a test only needs a piece of).
inline bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

/// A file's whole content ("" when it cannot be read: the test's own
/// expectation on the content then fails and says so).
inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream f(p);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace bottle::test_support
