// JSON string escaping for probe reports (the probe carries no JSON library so
// it stays small and static). Bytes that are not printable ASCII are written
// as \u00XX, so any binary data survives the trip and the harness sees the
// exact bytes (as code points 0..255).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace bottle::escape::probe::support {

[[nodiscard]] inline std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c >= 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
    return out;
}

}  // namespace bottle::escape::probe::support
