// tools/bottle-run/backends/docker/context_ignore.hpp — a build context's
// .dockerignore, read as the docker CLI reads it, so a bottle's Dockerfile
// next to its project sends what `docker build` would send.
//
// One pattern a line; `#` lines and blank lines are skipped, surrounding
// spaces trimmed, a leading `/` dropped and the pattern cleaned (`a//b/./c`
// is `a/b/c`). `*` and `?` do not cross `/`, `[...]` is a class, `**` as a
// whole segment is any number of directories; a leading `!` re-includes.
// Patterns are read in order and the last that applies decides; a path is
// excluded when a pattern matches it or one of its parent directories. The
// Dockerfile and .dockerignore are sent whatever the patterns say (the CLI
// does the same: the daemon needs them).
#pragma once

#include <string>
#include <vector>

namespace bottle::run::docker {

class context_ignore {
public:
    /// No patterns: nothing is excluded.
    context_ignore() = default;

    /// The rules of a .dockerignore's text. Never fails: a line that is
    /// not a usable pattern (empty after cleaning) is skipped.
    [[nodiscard]] static context_ignore parse(const std::string& text);

    /// Is `rel` (a path relative to the context, `/`-separated, no leading
    /// `/`) left out of the context?
    [[nodiscard]] bool excluded(const std::string& rel) const;

    /// Whether any pattern re-includes (`!`): then an excluded directory
    /// must still be walked, something under it may be sent.
    [[nodiscard]] bool has_exceptions() const noexcept { return exceptions_; }

private:
    struct pattern {
        std::vector<std::string> segments;
        bool exception = false;
    };
    std::vector<pattern> patterns_;
    bool exceptions_ = false;
};

}  // namespace bottle::run::docker
