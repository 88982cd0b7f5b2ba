// The agent's exec: its PATH is the plan's, its environment the plan's only.
#include "bottle-run/backends/native/steps.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace bottle::run::native {

int exec_agent(const native_plan& plan) {
    std::vector<char*> argv, envp;
    for (const auto& a : plan.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::string path_var;
    for (const auto& e : plan.env) {
        envp.push_back(const_cast<char*>(e.c_str()));
        if (e.rfind("PATH=", 0) == 0) path_var = e.substr(5);
    }
    std::vector<std::string> credentials;  // plan_for kept them out of env (and so out of every printout)
    for (const auto& [k, v] : plan.credential_env) credentials.push_back(k + "=" + v);
    for (auto& c : credentials) envp.push_back(c.data());
    envp.push_back(nullptr);
    const std::string& cmd = plan.argv.front();
    int saw = ENOENT;
    if (cmd.find('/') != std::string::npos) {
        ::execve(cmd.c_str(), argv.data(), envp.data());
        saw = errno;
    } else {
        std::size_t start = 0;
        while (start <= path_var.size()) {
            const auto end = path_var.find(':', start);
            const std::string dir = path_var.substr(start, end == std::string::npos ? std::string::npos : end - start);
            if (!dir.empty() && dir.front() == '/') {  // never the working directory
                const std::string full = dir + "/" + cmd;
                ::execve(full.c_str(), argv.data(), envp.data());
                if (errno != ENOENT && errno != ENOTDIR) saw = errno;
            }
            if (end == std::string::npos) break;
            start = end + 1;
        }
    }
    const bool missing = saw == ENOENT || saw == ENOTDIR;
    std::fprintf(stderr, "bottle-run: cannot run %s in the bottle: %s%s\n", cmd.c_str(), std::strerror(saw),
                 missing ? " (only /usr, /etc and the mounts are visible: is it installed there?)" : "");
    return missing ? 127 : 126;
}

}  // namespace bottle::run::native
