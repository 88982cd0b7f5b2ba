// fs.home_secrets — the user's credentials in $HOME (and /root): ssh keys,
// cloud and registry credentials, git/gh tokens, agent auth files. Escaped
// when a planted canary token surfaces in what was read.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

namespace {
constexpr std::size_t per_file_cap = 4096;

// ~/.config/<app>/<file> (two levels), regular files only.
void collect_config(const std::string& dir, int depth, std::vector<std::string>& out) {
    if (depth > 2 || out.size() > 64) return;
    for (const auto& n : support::list_dir(dir)) {
        const std::string p = dir + "/" + n;
        struct stat st{};
        if (lstat(p.c_str(), &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) collect_config(p, depth + 1, out);
        else if (S_ISREG(st.st_mode)) out.push_back(p);
    }
}
}  // namespace

BOTTLE_PROBE(fs_home_secrets, "fs.home_secrets",
             "read planted credentials in $HOME and /root (.ssh, .aws, .netrc, .git-credentials, docker, kube, gh, agent auth)",
             bottle::escape::probe::scoring::token) {
    static constexpr std::string_view files[] = {
        ".ssh/id_ed25519", ".ssh/id_rsa", ".ssh/id_ecdsa", ".ssh/config", ".ssh/known_hosts", ".aws/credentials",
        ".aws/config", ".netrc", ".git-credentials", ".gitconfig", ".docker/config.json", ".kube/config",
        ".config/gh/hosts.yml", ".claude/.credentials.json", ".claude.json", ".codex/auth.json",
        ".config/gcloud/credentials.db", ".config/gcloud/application_default_credentials.json", ".npmrc", ".pypirc",
        ".bash_history", ".config/git/credentials"};
    std::vector<std::string> homes{support::env("HOME"), std::string(lab::home_dir)};
    std::vector<std::string> seen;
    int readable = 0;
    for (const auto& home : homes) {
        if (home.empty() || std::find(seen.begin(), seen.end(), home) != seen.end()) continue;
        seen.push_back(home);
        std::vector<std::string> paths;
        for (auto f : files) paths.push_back(home + "/" + std::string(f));
        std::vector<std::string> config;
        collect_config(home + "/.config", 1, config);
        for (auto& c : config)
            if (std::find(paths.begin(), paths.end(), c) == paths.end()) paths.push_back(c);
        for (const auto& p : paths) {
            const auto r = support::read_file(p, per_file_cap);
            if (!r.ok && r.err == ENOENT) continue;  // not planted / not present: not an attempt worth a line
            rep.attempt("read " + p, support::describe(r), r.ok);
            if (r.ok) {
                ++readable;
                rep.observe(p + ": " + r.data);
            }
        }
    }
    rep.observe("credential files readable: " + std::to_string(readable));
    if (readable == 0) rep.attempt("read credential files under " + seen.front(), "none present or readable");
}
