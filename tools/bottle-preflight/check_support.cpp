#include "bottle-preflight/check_support.hpp"

namespace bottle::preflight {

std::optional<version> find_version(std::string_view s) {
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (!digit(s[i]) || (i > 0 && (digit(s[i - 1]) || s[i - 1] == '.'))) continue;
        unsigned parts[3] = {0, 0, 0};
        std::size_t n = 0, j = i;
        bool ok = true;
        while (n < 3 && j < s.size() && digit(s[j])) {
            std::size_t len = 0;
            unsigned v = 0;
            while (j < s.size() && digit(s[j])) {
                if (++len > 6) { ok = false; break; }
                v = v * 10 + static_cast<unsigned>(s[j] - '0');
                ++j;
            }
            if (!ok) break;
            parts[n++] = v;
            if (n < 3 && j + 1 < s.size() && s[j] == '.' && digit(s[j + 1])) ++j;
            else break;
        }
        if (ok && n >= 2) return version{parts[0], parts[1], parts[2]};
    }
    return std::nullopt;
}

std::string_view trim(std::string_view s) noexcept {
    const auto* ws = " \t\r\n\v\f";
    const auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::string first_line(std::string_view s) {
    while (!s.empty()) {
        const auto nl = s.find('\n');
        const auto line = trim(s.substr(0, nl));
        if (!line.empty()) return std::string(line);
        if (nl == std::string_view::npos) break;
        s.remove_prefix(nl + 1);
    }
    return {};
}

std::optional<long long> parse_integer(std::string_view s) {
    s = trim(s);
    if (s.empty() || s.size() > 18) return std::nullopt;
    bool negative = false;
    if (s.front() == '-') { negative = true; s.remove_prefix(1); }
    if (s.empty()) return std::nullopt;
    long long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return negative ? -v : v;
}

std::string errno_name(int e) {
    const char* name = nullptr;
    switch (e) {
        case ENOENT: name = "ENOENT"; break;
        case EACCES: name = "EACCES"; break;
        case EPERM: name = "EPERM"; break;
        case ENOSYS: name = "ENOSYS"; break;
        case EOPNOTSUPP: name = "EOPNOTSUPP"; break;
        case ENXIO: name = "ENXIO"; break;
        case ENODEV: name = "ENODEV"; break;
        case EBUSY: name = "EBUSY"; break;
        case EINVAL: name = "EINVAL"; break;
        default: break;
    }
    const std::string text = std::strerror(e);
    return name ? std::string(name) + " (" + text + ")" : "errno " + std::to_string(e) + " (" + text + ")";
}

check_result make_check(std::string id, std::string category, std::string title,
                                             check_status status, std::string found, std::string remedy) {
    if (status == check_status::ok) remedy.clear();
    return check_result{std::move(id), std::move(category), std::move(title), status, std::move(found),
                        std::move(remedy)};
}

version_run run_version(system_probes& p, const std::string& path) {
    auto out = p.run({path, "--version"}, std::chrono::seconds(5));
    if (!out) return {{}, path + " cannot be run: " + out.error().message};
    if (out->timed_out) return {{}, "'" + path + " --version' did not finish within 5 s"};
    if (out->exit_code != 0)
        return {{}, "'" + path + " --version' exited " + std::to_string(out->exit_code) + ": " + first_line(out->err)};
    return {out->out, {}};
}

}  // namespace bottle::preflight
