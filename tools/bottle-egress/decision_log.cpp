// tools/bottle-egress/decision_log.cpp — see decision_log.hpp.
#include "bottle-egress/decision_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace bottle::egress {

std::string json_string(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size() + 2);
    out += '"';
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c >= 0x20 && c < 0x7f) {
            out += ch;
        } else {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        }
    }
    out += '"';
    return out;
}

std::string utc_timestamp(std::chrono::system_clock::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    return buf;
}

std::string render(const decision_record& r, std::string_view bottle_id) {
    const char* decision = r.decision == verdict::allow ? "allow" : r.decision == verdict::deny ? "deny" : "error";
    std::string line = "{\"time\":" + json_string(utc_timestamp(r.time));
    line += ",\"bottle\":" + json_string(bottle_id);
    line += ",\"client\":" + json_string(r.client);
    line += ",\"method\":" + json_string(r.method);
    line += ",\"host\":" + json_string(r.host);
    line += ",\"port\":" + std::to_string(r.port);
    line += ",\"address\":" + json_string(r.address);
    line += ",\"decision\":\"" + std::string(decision) + "\"";
    line += ",\"reason\":" + json_string(r.reason);
    line += ",\"bytes_up\":" + std::to_string(r.bytes_up);
    line += ",\"bytes_down\":" + std::to_string(r.bytes_down);
    line += ",\"duration_ms\":" + std::to_string(r.duration.count());
    line += "}\n";
    return line;
}

result<decision_log> decision_log::open(const std::string& path, std::string bottle_id) {
    if (path == "-") return decision_log(STDOUT_FILENO, false, std::move(bottle_id));
    if (path.empty()) return decision_log(STDERR_FILENO, false, std::move(bottle_id));
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) return make_error(errc::io_error, "cannot open the log " + path + ": " + std::strerror(errno));
    return decision_log(fd, true, std::move(bottle_id));
}

decision_log::decision_log(decision_log&& o) noexcept : fd_(o.fd_), owned_(o.owned_), bottle_id_(std::move(o.bottle_id_)) {
    o.owned_ = false;
}

decision_log& decision_log::operator=(decision_log&& o) noexcept {
    if (this != &o) {
        if (owned_) ::close(fd_);
        fd_ = o.fd_;
        owned_ = o.owned_;
        bottle_id_ = std::move(o.bottle_id_);
        o.owned_ = false;
    }
    return *this;
}

decision_log::~decision_log() {
    if (owned_) ::close(fd_);
}

void decision_log::write(const decision_record& r) { write_line(render(r, bottle_id_)); }

void decision_log::write_line(const std::string& line) {
    // One write per line keeps lines whole; a short write (full disk, closed
    // pipe) finishes the line rather than leave half of it.
    std::size_t done = 0;
    while (done < line.size()) {
        const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace bottle::egress
