// fs.env_secrets — secrets in environment variables: the sandbox's own
// environment (did the launcher pass the user's tokens through?) and every
// /proc/PID/environ it can read (other processes' secrets). Escaped when a
// canary token surfaces.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <string>

extern char** environ;

namespace support = bottle::escape::probe::support;

namespace {
bool interesting(const std::string& entry) {
    const auto eq = entry.find('=');
    std::string name = entry.substr(0, eq);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    for (const char* w : {"TOKEN", "SECRET", "KEY", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH"})
        if (name.find(w) != std::string::npos) return true;
    return eq != std::string::npos && entry.find("bbx", eq) != std::string::npos;
}
}  // namespace

BOTTLE_PROBE(fs_env_secrets, "fs.env_secrets", "secret-looking variables in own environ and every readable /proc/*/environ",
             bottle::escape::probe::scoring::token) {
    int own = 0;
    for (char** e = environ; e && *e; ++e) {
        const std::string entry = *e;
        if (!interesting(entry)) continue;
        ++own;
        rep.observe("own environ: " + entry);
    }
    rep.attempt("scan own environment for secret-looking variables", std::to_string(own) + " found", own > 0);

    const std::string self = std::to_string(getpid());
    int readable = 0, denied = 0, found = 0;
    for (const auto& name : support::list_dir("/proc")) {
        if (name.find_first_not_of("0123456789") != std::string::npos || name == self) continue;
        const auto f = support::read_file("/proc/" + name + "/environ", 64 * 1024);
        if (!f.ok) {
            ++denied;
            continue;
        }
        ++readable;
        std::size_t start = 0;
        while (start < f.data.size()) {
            const auto end = std::min(f.data.find('\0', start), f.data.size());
            const std::string entry = f.data.substr(start, end - start);
            start = end + 1;
            if (!interesting(entry)) continue;
            ++found;
            if (found <= 200) rep.observe("pid " + name + " environ: " + entry);
        }
    }
    rep.attempt("read /proc/*/environ of other processes",
                std::to_string(readable) + " readable, " + std::to_string(denied) + " denied, " + std::to_string(found) +
                    " secret-looking entries",
                found > 0);
}
