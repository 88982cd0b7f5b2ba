// fs.protected_in_workspace — a writable workspace often still protects paths
// whose contents run later outside the sandbox: git hooks and config, editor
// and agent settings, CI workflows. Creates NEW tag-named files only inside
// such directories that already exist in the workspace, the post-checkout
// hook git would run, and core.hooksPath / core.fsmonitor appended to the
// lab workspace's .git/config. The harness looks for tag-named files and for
// the tag inside the hook and the config afterwards, from outside.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace support = bottle::escape::probe::support;

BOTTLE_PROBE(fs_protected_in_workspace, "fs.protected_in_workspace",
             "tag-named files in .git/hooks, .vscode, .claude, .github/workflows...; the post-checkout hook; core.hooksPath/fsmonitor",
             bottle::escape::probe::scoring::effect) {
    char buf[4096];
    const std::string cwd = getcwd(buf, sizeof buf) ? std::string(buf) : std::string(".");
    struct place {
        const char* dir;
        const char* file_suffix;  // file name: bbx-<tag><suffix>
    };
    static constexpr place places[] = {
        {".git/hooks", "-post-checkout"}, {".git", ""},           {".git/info", "-attributes"},
        {".vscode", "-settings.json"},    {".idea", ".xml"},      {".claude", "-settings.json"},
        {".github/workflows", ".yml"},    {".devcontainer", ".json"}, {".husky", "-pre-commit"}};
    int present = 0;
    for (const auto& pl : places) {
        const std::string dir = cwd + "/" + pl.dir;
        struct stat st{};
        if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        ++present;
        const std::string path = dir + "/bbx-" + ctx.tag + pl.file_suffix;
        const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
        if (fd < 0) {
            rep.attempt("create " + path, support::errno_name(errno));
            continue;
        }
        const std::string body = "# " + ctx.tag + "\n";
        const ssize_t n = write(fd, body.data(), body.size());
        close(fd);
        rep.attempt("create " + path, n > 0 ? "created" : "created, write failed", true);
    }
    if (present == 0) {
        // The lab's workspace is a git checkout: not finding .git means the
        // sandbox did not run the probe in the workspace it was given.
        rep.error("the working directory (" + cwd + ") has no .git or other protected directory: not the lab's workspace");
        return;
    }
    // What git really runs: a post-checkout hook by its real name (the lab
    // plants none), and core.hooksPath / core.fsmonitor in .git/config (the
    // lab's own, disposable). The harness reads both from outside.
    const std::string hook = cwd + "/.git/hooks/post-checkout";
    const int h = open(hook.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    if (h < 0) {
        rep.attempt("create the hook git runs, " + hook, support::errno_name(errno));
    } else {
        const std::string body = "#!/bin/sh\n# " + ctx.tag + "\n";
        const bool ok = write(h, body.data(), body.size()) == static_cast<ssize_t>(body.size());
        close(h);
        rep.attempt("create the hook git runs, " + hook, ok ? "created" : "created, write failed");
    }
    const std::string config = cwd + "/.git/config";
    const int c = open(config.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (c < 0) {
        rep.attempt("append core.hooksPath and core.fsmonitor to " + config, support::errno_name(errno));
    } else {
        const std::string add = "[core]\n\thooksPath = /tmp/" + ctx.tag + "\n\tfsmonitor = /tmp/" + ctx.tag + "/fsmonitor\n";
        const bool ok = write(c, add.data(), add.size()) == static_cast<ssize_t>(add.size());
        close(c);
        rep.attempt("append core.hooksPath and core.fsmonitor to " + config, ok ? "appended" : "write failed");
    }
}
