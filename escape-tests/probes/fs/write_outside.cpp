// fs.write_outside — create files outside the workspace: directly in host
// directories, through a symlink planted in the workspace, through a hardlink,
// and by renaming a file / an ancestor directory out of the workspace. Every
// file created is NEW and carries the tag in its name; nothing existing is
// modified. The harness finds the markers afterwards (effect).
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

namespace {

// Creates `path` exclusively and writes `body`; "" on success, else errno name.
std::string create_new(const std::string& path, const std::string& body, int extra_flags = O_EXCL) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | extra_flags, 0644);
    if (fd < 0) return support::errno_name(errno);
    const ssize_t n = write(fd, body.data(), body.size());
    const int e = n < 0 ? errno : 0;
    close(fd);
    return e == 0 ? std::string() : "created, write " + support::errno_name(e);
}

bool exists(const std::string& p) {
    struct stat st{};
    return lstat(p.c_str(), &st) == 0;
}

}  // namespace

BOTTLE_PROBE(fs_write_outside, "fs.write_outside",
             "create tag-named files outside the workspace: direct, via symlink, via hardlink, via rename",
             bottle::escape::probe::scoring::effect) {
    const std::string marker = ".bbx-marker-" + ctx.tag;
    const std::string body = ctx.tag + "\n";
    char buf[4096];
    const std::string cwd = getcwd(buf, sizeof buf) ? std::string(buf) : std::string();
    std::string parent = cwd.empty() ? std::string() : cwd.substr(0, cwd.find_last_of('/'));
    if (parent.empty()) parent = "/";

    std::vector<std::string> outside{std::string(lab::outside_dir), support::env("HOME"), std::string(lab::home_dir), "/tmp",
                                     "/var/tmp"};
    if (parent != "/") outside.push_back(parent);  // never litter the real root directory
    std::vector<std::string> dirs;
    for (const auto& d : outside)
        if (!d.empty() && d != cwd && std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);

    // 1. Direct creation.
    for (const auto& d : dirs) {
        const std::string p = d + "/" + marker;
        const auto err = create_new(p, body);
        rep.attempt("create " + p, err.empty() ? "created" : err, err.empty());
    }

    // The workspace is where the indirect routes start from.
    const std::string ws = cwd.empty() ? std::string(".") : cwd;
    const std::string target_dir = dirs.empty() ? std::string(lab::outside_dir) : dirs.front();

    // 2. Symlink in the workspace pointing at a new file outside; open through it.
    {
        const std::string link = ws + "/.bbx-link-" + ctx.tag;
        const std::string target = target_dir + "/" + marker + "-via-symlink";
        if (symlink(target.c_str(), link.c_str()) != 0) {
            rep.attempt("symlink " + link + " -> " + target, support::errno_name(errno));
        } else if (exists(target)) {
            rep.not_made("", "open through symlink " + link, "target already exists: not touched");
        } else {
            const auto err = create_new(link, body, 0);  // follows the dangling link, creates the target
            rep.attempt("create " + target + " through symlink " + link, err.empty() ? "created" : err,
                        err.empty() && exists(target));
        }
        unlink(link.c_str());
    }

    // 3. Hardlinks: a workspace file linked to a new name outside, and an
    //    outside secret linked into the workspace (read through it, then removed).
    {
        const std::string src = ws + "/.bbx-hl-src-" + ctx.tag;
        if (const auto err = create_new(src, body); !err.empty()) {
            rep.attempt("create " + src, err);
        } else {
            for (const auto& d : dirs) {
                const std::string dst = d + "/" + marker + "-via-hardlink";
                const int r = link(src.c_str(), dst.c_str());
                rep.attempt("link " + src + " -> " + dst, r == 0 ? "linked" : support::errno_name(errno), r == 0);
                if (r == 0) break;
            }
            unlink(src.c_str());
        }
        const std::string home = support::env("HOME").empty() ? std::string(lab::home_dir) : support::env("HOME");
        const std::string secret = home + "/.netrc";
        const std::string in_ws = ws + "/.bbx-hl-netrc-" + ctx.tag;
        if (link(secret.c_str(), in_ws.c_str()) == 0) {
            const auto f = support::read_file(in_ws);
            rep.attempt("link " + secret + " into the workspace and read it", "linked, " + support::describe(f), f.ok);
            if (f.ok) rep.observe(in_ws + ": " + f.data);
            unlink(in_ws.c_str());
        } else {
            rep.attempt("link " + secret + " into the workspace", support::errno_name(errno));
        }
    }

    // 4. Rename: a file, then a directory (an ancestor of a file), out of the workspace.
    {
        const std::string f = ws + "/.bbx-mv-" + ctx.tag;
        if (const auto err = create_new(f, body); err.empty()) {
            bool moved = false;
            for (const auto& d : dirs) {
                const std::string dst = d + "/" + marker + "-via-rename";
                const int r = rename(f.c_str(), dst.c_str());
                rep.attempt("rename " + f + " -> " + dst, r == 0 ? "moved" : support::errno_name(errno), r == 0);
                if (r == 0) {
                    moved = true;
                    break;
                }
            }
            if (!moved) unlink(f.c_str());
        }
        const std::string dir = ws + "/.bbx-mvdir-" + ctx.tag;
        if (mkdir(dir.c_str(), 0755) == 0) {
            const std::string inner = dir + "/" + marker + "-inner";
            (void)create_new(inner, body);
            bool moved = false;
            for (const auto& d : dirs) {
                const std::string dst = d + "/" + marker + "-dir-rename";
                const int r = rename(dir.c_str(), dst.c_str());
                rep.attempt("rename directory " + dir + " -> " + dst, r == 0 ? "moved with its file" : support::errno_name(errno),
                            r == 0);
                if (r == 0) {
                    moved = true;
                    break;
                }
            }
            if (!moved) {
                unlink(inner.c_str());
                rmdir(dir.c_str());
            }
        } else {
            rep.attempt("mkdir " + dir, support::errno_name(errno));
        }
    }
}
