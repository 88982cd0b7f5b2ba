// .dockerignore matching: segment by segment, fnmatch(3) within a segment.
#include "bottle-run/backends/docker/context_ignore.hpp"

#include <fnmatch.h>

#include <sstream>

namespace bottle::run::docker {

namespace {

std::vector<std::string> ignore_segments(const std::string& path) {
    std::vector<std::string> out;
    std::string part;
    std::istringstream in(path);
    while (std::getline(in, part, '/')) {
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (!out.empty()) out.pop_back();
            continue;
        }
        out.push_back(part);
    }
    return out;
}

/// `pat[pi..]` against `path[si..]`; "**" takes any number of segments.
bool ignore_match(const std::vector<std::string>& pat, std::size_t pi, const std::vector<std::string>& path, std::size_t si) {
    if (pi == pat.size()) return si == path.size();
    if (pat[pi] == "**") {
        for (std::size_t k = si; k <= path.size(); ++k)
            if (ignore_match(pat, pi + 1, path, k)) return true;
        return false;
    }
    if (si == path.size()) return false;
    if (::fnmatch(pat[pi].c_str(), path[si].c_str(), 0) != 0) return false;
    return ignore_match(pat, pi + 1, path, si + 1);
}

}  // namespace

context_ignore context_ignore::parse(const std::string& text) {
    context_ignore rules;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
        std::size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line[start] == '#') continue;
        line = line.substr(start);
        pattern p;
        if (line.front() == '!') {
            p.exception = true;
            line = line.substr(1);
        }
        p.segments = ignore_segments(line);
        if (p.segments.empty()) continue;
        rules.exceptions_ = rules.exceptions_ || p.exception;
        rules.patterns_.push_back(std::move(p));
    }
    return rules;
}

bool context_ignore::excluded(const std::string& rel) const {
    const auto path = ignore_segments(rel);
    bool matched = false;
    for (const auto& p : patterns_) {
        // An exclusion only matters while the path is included, an exception
        // only once it is excluded (the CLI's order of evaluation).
        if (p.exception != matched) continue;
        bool match = ignore_match(p.segments, 0, path, 0);
        for (std::size_t n = 1; !match && n < path.size(); ++n)  // or one of its parent directories
            match = ignore_match(p.segments, 0, std::vector<std::string>(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(n)), 0);
        if (match) matched = !p.exception;
    }
    return matched;
}

}  // namespace bottle::run::docker
