// tests/support/test_data.hpp — where a test area's data files live.
#pragma once

#include <string>

namespace bottle::test {

/// The source tree's tests/<area>/data directory (BOTTLE_SOURCE_DIR is set by
/// tests/CMakeLists.txt for every test executable).
inline std::string data_dir(const std::string& area) { return std::string(BOTTLE_SOURCE_DIR) + "/tests/" + area + "/data"; }

}  // namespace bottle::test
