// tests/support/text.hpp — small text checks shared by test files.
#pragma once

#include <string_view>

namespace bottle::test_support {

/// Whether `part` occurs in `s` (for messages a test only needs a piece of).
inline bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

}  // namespace bottle::test_support
