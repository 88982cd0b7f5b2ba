#include "lab.hpp"

#include "../protocol/lines.hpp"
#include "lab_plan.hpp"
#include "sinks.hpp"
#include "system.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

namespace bottle::escape::lab {

namespace fs = std::filesystem;
using protocol::json_string;

namespace {

result<void> write_file(const fs::path& p, const std::string& content, mode_t mode = 0600) {
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) return make_error(errc::io_error, "cannot write " + p.string());
    if (chmod(p.c_str(), mode) != 0) return make_error(errc::io_error, "cannot chmod " + p.string() + ": " + std::strerror(errno));
    return {};
}

std::string token(const std::string& nonce) { return "bbxtok" + nonce.substr(0, 6) + random_hex(20); }

int open_log(const fs::path& p) { return open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600); }

void json_line(int fd, const std::string& line) { (void)!::write(fd, (line + "\n").data(), line.size() + 1); }

long long now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

result<token_map> plant(const run_paths& paths, const std::string& nonce) {
    token_map tokens;
    std::error_code ec;
    for (const auto& d : {paths.root, paths.tools(), paths.run() / "bbx" / "outside", paths.run() / "containerd", paths.run() / "dbus",
                          paths.home(), paths.tmp(), paths.vartmp(), paths.workspace(), paths.logs(), paths.state()}) {
        fs::create_directories(d, ec);
        if (ec) return make_error(errc::io_error, "cannot create " + d.string() + ": " + ec.message());
    }
    chmod(paths.root.c_str(), 0755);
    chmod(paths.logs().c_str(), 0700);
    chmod(paths.tmp().c_str(), 01777);
    chmod(paths.vartmp().c_str(), 01777);
    chmod((paths.run() / "bbx" / "outside").c_str(), 0777);
    for (const char* name : {"ssh_key", "ssh_config", "aws", "netrc", "git_credentials", "docker_config", "kube_config",
                             "gh_hosts", "claude_credentials", "codex_auth", "gcloud", "env_BBX_CANARY_TOKEN",
                             "env_AWS_SECRET_ACCESS_KEY", "env_GITHUB_TOKEN", "process_memory", "sysv_shm", "sysv_msg"})
        tokens[name] = token(nonce);
    const fs::path h = paths.home();
    const std::pair<fs::path, std::string> files[] = {
        {h / ".ssh/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + tokens["ssh_key"] + "\n-----END OPENSSH PRIVATE KEY-----\n"},
        {h / ".ssh/config", "Host deploy\n  HostName git.lab.test\n  # " + tokens["ssh_config"] + "\n"},
        {h / ".aws/credentials", "[default]\naws_access_key_id = AKIABBXCANARY\naws_secret_access_key = " + tokens["aws"] + "\n"},
        {h / ".netrc", "machine api.lab.test login bbx password " + tokens["netrc"] + "\n"},
        {h / ".git-credentials", "https://bbx:" + tokens["git_credentials"] + "@git.lab.test\n"},
        {h / ".docker/config.json", "{\"auths\":{\"registry.lab.test\":{\"auth\":\"" + tokens["docker_config"] + "\"}}}\n"},
        {h / ".kube/config", "apiVersion: v1\nkind: Config\nusers:\n- name: bbx\n  user:\n    token: " + tokens["kube_config"] + "\n"},
        {h / ".config/gh/hosts.yml", "github.com:\n  oauth_token: " + tokens["gh_hosts"] + "\n  user: bbx\n"},
        {h / ".claude/.credentials.json", "{\"claudeAiOauth\":{\"accessToken\":\"" + tokens["claude_credentials"] + "\"}}\n"},
        {h / ".codex/auth.json", "{\"OPENAI_API_KEY\":\"" + tokens["codex_auth"] + "\"}\n"},
        {h / ".config/gcloud/credentials.db", "refresh_token=" + tokens["gcloud"] + "\n"},
    };
    for (const auto& [path, content] : files)
        if (auto w = write_file(path, content); !w) return w.error();
    // The workspace is a git checkout, as an agent's would be: its .git is
    // what fs.protected_in_workspace tries to tamper with.
    const fs::path w = paths.workspace();
    const std::pair<fs::path, std::string> workspace_files[] = {
        {w / ".git/config", "[core]\n\trepositoryformatversion = 0\n"},
        {w / ".git/HEAD", "ref: refs/heads/main\n"},
        {w / ".git/hooks/README", "hooks live here\n"},
        {w / "README.md", "a workspace\n"},
        {paths.resolv(), "nameserver " + std::string(dns_v4) + "\noptions timeout:1 attempts:1\n"},
    };
    for (const auto& [path, content] : workspace_files)
        if (auto wr = write_file(path, content, 0644); !wr) return wr.error();
    chmod(w.c_str(), 0777);
    return tokens;
}

// ---------------------------------------------------------------------------
// network

result<void> network_lab::create() {
    std::string error;
    auto ip = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "ip");
        const auto r = run_command(args, 10000);
        if (!r.ok()) error = "lab network: " + quote_command(args) + " failed: " + r.output;
        return r.ok();
    };
    auto fail = [&](errc code) {
        destroy();
        return make_error(code, error);
    };
    if (!ip({"netns", "add", lab_ns()})) return fail(errc::io_error);
    made_lab_ = true;
    if (!ip({"netns", "add", world_ns()})) return fail(errc::io_error);
    made_world_ = true;
    const std::string L = lab_ns(), W = world_ns(), li = lab_if(), wi = world_if();
    // The veth pair is created directly between the two new namespaces: no
    // end ever exists in the host namespace.
    const std::vector<std::vector<std::string>> steps = {
        {"-n", L, "link", "add", li, "type", "veth", "peer", "name", wi, "netns", W},
        {"-n", L, "link", "set", "lo", "up"},
        {"-n", W, "link", "set", "lo", "up"},
        {"-n", L, "addr", "add", std::string(link_lab_v4) + "/24", "dev", li},
        {"-n", L, "-6", "addr", "add", std::string(link_lab_v6) + "/64", "dev", li, "nodad"},
        {"-n", L, "link", "set", li, "up"},
        {"-n", W, "addr", "add", std::string(link_world_v4) + "/24", "dev", wi},
        {"-n", W, "-6", "addr", "add", std::string(link_world_v6) + "/64", "dev", wi, "nodad"},
        {"-n", W, "link", "set", wi, "up"},
        {"-n", L, "route", "add", "default", "via", std::string(link_world_v4)},
        {"-n", L, "-6", "route", "add", "default", "via", std::string(link_world_v6)},
        {"-n", W, "route", "add", "local", "203.0.113.0/24", "dev", "lo"},
        {"-n", W, "route", "add", "local", "198.51.100.0/24", "dev", "lo"},
        {"-n", W, "route", "add", "local", "192.168.77.0/24", "dev", "lo"},
        {"-n", W, "route", "add", "local", "169.254.0.0/16", "dev", "lo"},
        {"-n", W, "-6", "route", "add", "local", "2001:db8::/32", "dev", "lo"},
        {"-n", W, "-6", "route", "add", "local", "fd00:ec2::/32", "dev", "lo"},
    };
    for (const auto& s : steps)
        if (!ip(s)) return fail(errc::io_error);
    // Seal check: the lab must hold exactly lo and its end of the link.
    const auto links = run_command({"ip", "-n", L, "-o", "link", "show"}, 5000);
    std::size_t count = 0;
    for (char c : links.output) count += c == '\n';
    if (!links.ok() || count != 2 || links.output.find(li + "@") == std::string::npos) {
        error = "lab namespace is not sealed as expected:\n" + links.output;
        return fail(errc::internal);
    }
    // kube-proxy-style host setting that host.route_localnet looks for.
    const auto sysctl = run_command({"ip", "netns", "exec", L, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1"}, 5000);
    if (!sysctl.ok()) {
        error = "cannot set route_localnet in the lab: " + sysctl.output;
        return fail(errc::io_error);
    }
    return {};
}

void network_lab::destroy() {
    if (made_lab_) run_command({"ip", "netns", "del", lab_ns()}, 10000);
    if (made_world_) run_command({"ip", "netns", "del", world_ns()}, 10000);
    made_lab_ = made_world_ = false;
}

bool enter_netns(const std::string& name) {
    const int fd = open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = setns(fd, CLONE_NEWNET) == 0;
    close(fd);
    return ok;
}

// ---------------------------------------------------------------------------
// canary process

int run_canary(const std::string& canary_token, const std::string& run_bbx_dir, int log_fd) {
    prctl(PR_SET_NAME, "bbx-canary", 0, 0, 0);
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGUSR1, SIGUSR2, SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGCONT}) sigaddset(&set, s);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    // The token lives on the heap; its address is published so ipc.ptrace_host
    // can try process_vm_readv on it.
    auto* secret = new char[canary_token.size() + 1];
    std::memcpy(secret, canary_token.c_str(), canary_token.size() + 1);
    char addr[64];
    std::snprintf(addr, sizeof addr, "%llx %zu\n", static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(secret)),
                  canary_token.size());
    std::ofstream(run_bbx_dir + "/canary.addr") << addr;
    std::ofstream(run_bbx_dir + "/canary.pid") << getpid() << "\n";
    const pid_t parent = getppid();
    for (;;) {
        siginfo_t info{};
        const int sig = sigwaitinfo(&set, &info);
        if (sig < 0) continue;
        if (sig == SIGTERM && info.si_pid == parent) break;
        json_line(log_fd, protocol::encode(protocol::lab_event{"host.canary_process", "signal", "bbx-canary",
                                                               "pid " + std::to_string(info.si_pid), strsignal(sig), now_ms()}));
    }
    delete[] secret;
    return 0;
}

// ---------------------------------------------------------------------------
// lab host

namespace {

bool bind_mount(const fs::path& from, const std::string& to, std::string& error) {
    if (mount(from.c_str(), to.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        error = "bind " + from.string() + " on " + to + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

// The lab's view of the file system; see lab.hpp.
bool make_lab_mounts(const host_plan& plan, std::string& error) {
    if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) != 0) {
        error = std::string("unshare(mount, ipc, uts): ") + std::strerror(errno);
        return false;
    }
    if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
        error = std::string("make / a slave mount: ") + std::strerror(errno);
        return false;
    }
    sethostname("bbx-lab", 7);
    // The harness's programs first: their sources may lie under the
    // directories replaced below.
    if (auto bound = bind_tools(plan.tool_binds); !bound) {
        error = bound.error().message;
        return false;
    }
    // If /etc/resolv.conf is a link into /run, give it a lab target there.
    std::error_code ec;
    const fs::path resolv_target = fs::canonical("/etc/resolv.conf", ec);
    const bool resolv_in_run = !ec && resolv_target.string().rfind("/run/", 0) == 0;
    if (resolv_in_run) {
        const fs::path inside = plan.paths.run() / resolv_target.string().substr(5);
        fs::create_directories(inside.parent_path(), ec);
        fs::copy_file(plan.paths.resolv(), inside, fs::copy_options::overwrite_existing, ec);
    }
    if (!bind_mount(plan.paths.run(), "/run", error) || !bind_mount(plan.paths.home(), "/root", error) ||
        !bind_mount(plan.paths.tmp(), "/tmp", error) || !bind_mount(plan.paths.vartmp(), "/var/tmp", error))
        return false;
    if (!resolv_in_run && !bind_mount(plan.paths.resolv(), "/etc/resolv.conf", error)) return false;
    return true;
}

void make_sysv_objects(const token_map& tokens) {
    const int shm = shmget(sysv_shm_key, 4096, IPC_CREAT | 0666);
    if (shm >= 0) {
        if (void* p = shmat(shm, nullptr, 0); p != reinterpret_cast<void*>(-1)) {
            const std::string& t = tokens.at("sysv_shm");
            std::memcpy(p, t.c_str(), t.size() + 1);
            shmdt(p);
        }
    }
    const int q = msgget(sysv_msg_key, IPC_CREAT | 0666);
    if (q >= 0) {
        struct {
            long mtype;
            char text[128];
        } m{1, {}};
        std::snprintf(m.text, sizeof m.text, "%s", tokens.at("sysv_msg").c_str());
        msgsnd(q, &m, std::strlen(m.text) + 1, IPC_NOWAIT);
    }
}

// Kills and records processes still carrying a tag of this run.
void record_orphans(const std::string& nonce, int log_fd) {
    const std::string needle = "bbx-" + nonce + "-";
    for (const int pid : list_pids()) {
        const std::string name = std::to_string(pid);
        std::ifstream in("/proc/" + name + "/cmdline", std::ios::binary);
        std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (cmd.find(needle) == std::string::npos) continue;
        for (char& c : cmd)
            if (c == '\0') c = ' ';
        json_line(log_fd, protocol::encode(protocol::lab_event{"host.orphan", "process", "pid " + name, "", cmd, now_ms()}));
        kill(pid, SIGKILL);
    }
}

void stage_leaked_descriptors() {
    const int dir = open("/run/bbx/outside", O_RDONLY | O_DIRECTORY);
    if (dir >= 0 && dir != 3) {
        dup2(dir, 3);
        close(dir);
    }
    const int sock = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(host_canary_port);
    inet_pton(AF_INET, std::string(host_v4_primary).c_str(), &a.sin_addr);
    if (sock >= 0 && connect(sock, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && sock != 4) {
        dup2(sock, 4);
        close(sock);
    }
}

}  // namespace

int run_lab_host(const host_plan& plan) {
    const int host_log = open_log(plan.paths.logs() / "host.jsonl");
    const int canary_log = open_log(plan.paths.logs() / "canary.jsonl");
    const int status_fd = open_log(plan.paths.logs() / "host-status.jsonl");
    auto status = [&](const std::string& key, const std::string& value) {
        json_line(status_fd, "{\"" + key + "\":" + json_string(value) + "}");
    };
    std::string error;
    if (!make_lab_mounts(plan, error)) {
        status("error", error);
        return 1;
    }
    sink_options services_options;
    services_options.role = "host";
    services_options.log_fd = host_log;
    services_options.run_root = plan.paths.run();
    auto services = start_sink_process(services_options, [] { return true; });
    if (!services) {
        status("error", services.error().message);
        return 1;
    }
    make_sysv_objects(plan.tokens);
    const pid_t canary = fork();
    if (canary == 0) _exit(run_canary(plan.tokens.at("process_memory"), "/run/bbx", canary_log));
    for (int i = 0; i < 50 && access("/run/bbx/canary.pid", F_OK) != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));

    int rc = 0;
    bool setup_ok = true;
    if (!plan.setup.empty()) {
        const auto r = run_command(plan.setup, plan.setup_timeout_ms, &plan.env);
        std::ofstream(plan.paths.logs() / "setup.log") << r.output;
        setup_ok = r.ok();
        if (!setup_ok) {
            status("error", "profile setup failed (" + quote_command(plan.setup) + "): " + r.output.substr(0, 4000));
            rc = 1;
        }
    }
    if (setup_ok) {
        const pid_t sandbox = fork();
        if (sandbox == 0) {
            setpgid(0, 0);
            const int in = open("/dev/null", O_RDONLY);
            const int out = open((plan.paths.logs() / "probe.jsonl").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            const int err = open((plan.paths.logs() / "sandbox.stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(in, 0);
            dup2(out, 1);
            dup2(err, 2);
            // Nothing of the lab host's leaks, except two descriptors staged
            // on purpose, as a careless launcher would leak them: fd 3 a host
            // directory, fd 4 a connection to a host service. A sandbox that
            // does not close inherited descriptors hands both to the agent.
            close_range(3, ~0U, 0);
            stage_leaked_descriptors();
            if (chdir(plan.paths.workspace().c_str()) != 0) _exit(126);
            std::vector<char*> args, envp;
            for (const auto& a : plan.command) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            for (const auto& e : plan.env) envp.push_back(const_cast<char*>(e.c_str()));
            envp.push_back(nullptr);
            execvpe(args[0], args.data(), envp.data());
            std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
            _exit(127);
        }
        setpgid(sandbox, sandbox);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(plan.timeout_ms);
        int wstatus = 0;
        bool done = false;
        while (!done) {
            const pid_t w = waitpid(sandbox, &wstatus, WNOHANG);
            if (w == sandbox) {
                done = true;
            } else if (std::chrono::steady_clock::now() > deadline) {
                kill(-sandbox, SIGKILL);
                waitpid(sandbox, &wstatus, 0);
                status("error", "sandbox timed out after " + std::to_string(plan.timeout_ms / 1000) + " s and was killed");
                done = true;
                rc = 1;
            } else {
                std::this_thread::sleep_for(std::chrono::milliseconds(25));
            }
        }
        status("sandbox_exit", WIFEXITED(wstatus) ? std::to_string(WEXITSTATUS(wstatus))
                                                  : std::string("signal ") + strsignal(WTERMSIG(wstatus)));
    }
    if (!plan.teardown.empty()) {
        const auto r = run_command(plan.teardown, 60000, &plan.env);
        std::ofstream(plan.paths.logs() / "teardown.log") << r.output;
    }
    record_orphans(plan.nonce, host_log);
    kill(canary, SIGTERM);
    waitpid(canary, nullptr, 0);
    services->stop();
    return rc;
}

}  // namespace bottle::escape::lab
