#include "host.hpp"

#include "../protocol/lines.hpp"
#include "canary.hpp"
#include "heartbeat.hpp"
#include "open_proxy.hpp"
#include "lab_plan.hpp"
#include "log_file.hpp"
#include "lab_tty.hpp"
#include "memory_limits.hpp"
#include "sinks.hpp"
#include "system.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <thread>

namespace bottle::escape::lab {

namespace fs = std::filesystem;

namespace {

// The lab host's three logs.
struct host_logs {
    explicit host_logs(const run_paths& paths)
        : host(open_log(paths.logs() / "host.jsonl")),
          canary(open_log(paths.logs() / "canary.jsonl")),
          status(open_log(paths.logs() / "host-status.jsonl")) {}
    host_logs(const host_logs&) = delete;
    host_logs& operator=(const host_logs&) = delete;
    ~host_logs() {
        for (int fd : {host, canary, status})
            if (fd >= 0) close(fd);
    }
    void error(const std::string& text) const {
        append_line(status, protocol::encode(protocol::host_status{protocol::host_status::kind::error, text}));
    }
    void fact(const std::string& name, const std::string& value) const {
        append_line(status, protocol::encode(protocol::host_status{protocol::host_status::kind::fact, name + "=" + value}));
    }
    void sandbox_exit(const std::string& how) const {
        append_line(status, protocol::encode(protocol::host_status{protocol::host_status::kind::sandbox_exit, how}));
    }
    int host, canary, status;
};

result<void> bind_mount(const fs::path& from, const std::string& to) {
    if (mount(from.c_str(), to.c_str(), nullptr, MS_BIND, nullptr) != 0)
        return make_error(errc::io_error, "bind " + from.string() + " on " + to + ": " + std::strerror(errno));
    return {};
}

// 1. The lab's view of the file system; see host.hpp.
result<void> make_lab_mounts(const host_plan& plan) {
    if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) != 0)
        return make_error(errc::io_error, std::string("unshare(mount, ipc, uts): ") + std::strerror(errno));
    if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
        return make_error(errc::io_error, std::string("make / a slave mount: ") + std::strerror(errno));
    sethostname("bbx-lab", 7);
    // This process lives in the lab's pid namespace: its /proc.
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
        return make_error(errc::io_error, std::string("mount the lab's /proc: ") + std::strerror(errno));
    // The harness's programs first: their sources may lie under the
    // directories replaced below.
    if (auto bound = bind_tools(plan.tool_binds); !bound) return bound;
    // If /etc/resolv.conf is a link into /run, give it a lab target there.
    std::error_code ec;
    const fs::path resolv_target = fs::canonical("/etc/resolv.conf", ec);
    const bool resolv_in_run = !ec && resolv_target.string().rfind("/run/", 0) == 0;
    if (resolv_in_run) {
        const fs::path inside = plan.paths.run() / resolv_target.string().substr(5);
        fs::create_directories(inside.parent_path(), ec);
        fs::copy_file(plan.paths.resolv(), inside, fs::copy_options::overwrite_existing, ec);
    }
    const std::pair<fs::path, const char*> replaced[] = {{plan.paths.run(), "/run"},       {plan.paths.home(), "/root"},
                                                         {plan.paths.tmp(), "/tmp"},       {plan.paths.vartmp(), "/var/tmp"},
                                                         {plan.paths.passwd(), "/etc/passwd"}, {plan.paths.group(), "/etc/group"}};
    for (const auto& [from, to] : replaced)
        if (auto b = bind_mount(from, to); !b) return b;
    // /home: only the lab user's, which is the planted home (a checkout
    // under /home was bound under tools/ above).
    if (mount("bbx-home", "/home", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755") != 0)
        return make_error(errc::io_error, std::string("mount a tmpfs on /home: ") + std::strerror(errno));
    if (mkdir(std::string(lab_user_home).c_str(), 0755) != 0 && errno != EEXIST)
        return make_error(errc::io_error, "mkdir " + std::string(lab_user_home) + ": " + std::strerror(errno));
    if (auto b = bind_mount(plan.paths.home(), std::string(lab_user_home)); !b) return b;
    if (!resolv_in_run) return bind_mount(plan.paths.resolv(), "/etc/resolv.conf");
    return {};
}

// 2. SysV objects holding tokens (in the lab's own IPC namespace).
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

// 2. The canary process; stop() sends the SIGTERM it waits for.
class canary_process {
public:
    canary_process(const host_plan& plan, int log_fd) {
        pid_ = fork();
        if (pid_ == 0) _exit(run_canary(plan.tokens.at("process_memory"), plan.nonce, std::string(run_dir), log_fd));
        for (int i = 0; i < 50 && access(std::string(canary_pid_file).c_str(), F_OK) != 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    canary_process(const canary_process&) = delete;
    canary_process& operator=(const canary_process&) = delete;
    ~canary_process() { stop(); }
    [[nodiscard]] pid_t pid() const { return pid_; }
    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

private:
    pid_t pid_ = -1;
};

// Processes carrying a tag of this run, by pid, with their command lines.
std::map<int, std::string> tagged_processes(const std::string& nonce) {
    const std::string needle = "bbx-" + nonce + "-";
    std::map<int, std::string> found;
    for (const int pid : list_pids()) {
        // Not an ifstream: a process exiting mid-read fails with ESRCH, which
        // std::filebuf throws (the lab host died of it once).
        std::string cmd = read_small_file("/proc/" + std::to_string(pid) + "/cmdline").value_or(std::string());
        if (cmd.find(needle) == std::string::npos) continue;
        for (char& c : cmd)
            if (c == '\0') c = ' ';
        found[pid] = cmd;
    }
    return found;
}

// Kills and records processes still carrying a tag of this run. One that is
// gone within 300 ms was on its way out with the sandbox (a pid namespace
// being torn down after a kill) and is not an orphan; one still there is.
void record_orphans(const std::string& nonce, int log_fd) {
    auto left = tagged_processes(nonce);
    for (int i = 0; i < 3 && !left.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const auto now = tagged_processes(nonce);
        std::erase_if(left, [&](const auto& p) { return !now.count(p.first); });
    }
    for (const auto& [pid, cmd] : left) {
        append_line(log_fd, protocol::encode(protocol::lab_event{"host.orphan", "process", "pid " + std::to_string(pid), "", cmd,
                                                               wall_ms()}));
        kill(pid, SIGKILL);
    }
}

// Two descriptors leaked on purpose, as a careless launcher would leak them:
// fd 3 a host directory, fd 4 a connection to a host service. Opened here,
// above 9, so the sandbox's child can dup them to 3 and 4; closed by the
// destructor once the sandbox has them.
class staged_descriptors {
public:
    staged_descriptors() = default;
    staged_descriptors(const staged_descriptors&) = delete;
    staged_descriptors& operator=(const staged_descriptors&) = delete;
    ~staged_descriptors() {
        for (int fd : {dir_, sock_})
            if (fd >= 0) close(fd);
    }
    result<void> stage() {
        const int dir = open(std::string(outside_dir).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0) return make_error(errc::io_error, "stage fd 3: open " + std::string(outside_dir) + ": " + std::strerror(errno));
        dir_ = fcntl(dir, F_DUPFD_CLOEXEC, 10);
        close(dir);
        const int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(host_canary_port);
        inet_pton(AF_INET, std::string(host_v4_primary).c_str(), &a.sin_addr);
        if (sock < 0 || connect(sock, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            const int err = errno;
            if (sock >= 0) close(sock);
            return make_error(errc::io_error, "stage fd 4: connect to the host canary: " + std::string(std::strerror(err)));
        }
        sock_ = fcntl(sock, F_DUPFD_CLOEXEC, 10);
        close(sock);
        if (dir_ < 0 || sock_ < 0) return make_error(errc::io_error, std::string("stage fds: F_DUPFD: ") + std::strerror(errno));
        return {};
    }
    // In the sandbox's child: fds 3 and 4, everything else above 2 closed.
    [[nodiscard]] bool install() const {
        if (dup2(dir_, 3) != 3 || dup2(sock_, 4) != 4) return false;
        close_range(5, ~0U, 0);
        return true;
    }

private:
    int dir_ = -1;
    int sock_ = -1;
};

// 3. Machine facts, established here, unconfined.
void record_machine_facts(const host_plan& plan, const host_logs& logs) {
    if (plan.facts_command.empty()) return;
    const auto r = run_command(plan.facts_command, 10000);
    if (!r.ok()) {
        logs.fact("facts_error", quote_command(plan.facts_command) + ": " + r.output.substr(0, 300));
        return;
    }
    std::size_t start = 0;
    while (start < r.output.size()) {
        const auto end = r.output.find('\n', start);
        const std::string line = r.output.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (const auto eq = line.find('='); eq != std::string::npos) logs.fact(line.substr(0, eq), line.substr(eq + 1));
        if (end == std::string::npos) break;
        start = end + 1;
    }
}

// 3. The profile's setup; its output goes to logs/setup.log.
result<void> run_setup(const host_plan& plan) {
    if (plan.setup.empty()) return {};
    const auto r = run_command(plan.setup, plan.setup_timeout_ms, &plan.env);
    std::ofstream(plan.paths.logs() / "setup.log") << r.output;
    if (!r.ok())
        return make_error(errc::io_error, "profile setup failed (" + quote_command(plan.setup) + "): " + r.output.substr(0, 4000));
    return {};
}

[[noreturn]] void exec_sandbox(const host_plan& plan, const staged_descriptors& staged, const lab_tty& tty) {
    const int out = open((plan.paths.logs() / "probe.jsonl").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open((plan.paths.logs() / "sandbox.stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    dup2(err, 2);
    // A new session (and process group) whose controlling terminal, and
    // stdin, is the lab's pty: as if started from the user's terminal.
    if (!tty.attach_as_controlling(0)) {
        std::fprintf(stderr, "cannot attach the lab terminal %s: %s\n", tty.name().c_str(), std::strerror(errno));
        _exit(125);
    }
    // Nothing of the lab host's leaks, except the two staged descriptors.
    if (!staged.install()) _exit(125);
    if (plan.run_as) {
        const gid_t gid = plan.run_as->gid;
        if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(plan.run_as->uid) != 0 || getuid() != plan.run_as->uid ||
            geteuid() != plan.run_as->uid) {
            std::fprintf(stderr, "cannot become the lab user %u: %s\n", plan.run_as->uid, std::strerror(errno));
            _exit(126);
        }
    }
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

// 3. The sandbox command, to its end or its deadline (then its process group
// is killed). Reports how its main process ended. A sandbox that outlives
// the agent (bottle-probe run gone for 1.5 s) only because it waits for
// what the agent left behind (firejail waits for every process in it) has
// `agent_done` called: the leftovers are recorded as orphans and killed, so
// the sandbox can end; it is not credited with reaping them.
result<std::string> run_sandbox_command(const host_plan& plan, const staged_descriptors& staged, const lab_tty& tty,
                                        limits_sampler& limits, const std::function<void()>& agent_done) {
    const pid_t sandbox = fork();
    if (sandbox < 0) return make_error(errc::io_error, std::string("fork the sandbox: ") + std::strerror(errno));
    if (sandbox == 0) exec_sandbox(plan, staged, tty);  // setsid there: its pid is its process group
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(plan.timeout_ms);
    int wstatus = 0;
    bool agent_seen = false, done_called = false;
    auto agent_last_seen = std::chrono::steady_clock::now();
    for (int round = 0; waitpid(sandbox, &wstatus, WNOHANG) != sandbox; ++round) {
        if (round % 8 == 2) {  // every 200 ms, from 50 ms in
            const auto now = std::chrono::steady_clock::now();
            if (limits.sample() > 0) {
                agent_seen = true;
                agent_last_seen = now;
            } else if (agent_seen && !done_called && now - agent_last_seen > std::chrono::milliseconds(1500)) {
                done_called = true;
                agent_done();
            }
        }
        if (std::chrono::steady_clock::now() > deadline) {
            kill(-sandbox, SIGKILL);
            waitpid(sandbox, &wstatus, 0);
            return make_error(errc::timeout,
                              "sandbox timed out after " + std::to_string(plan.timeout_ms / 1000) + " s and was killed");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return WIFEXITED(wstatus) ? std::to_string(WEXITSTATUS(wstatus)) : std::string("signal ") + strsignal(WTERMSIG(wstatus));
}

void run_teardown(const host_plan& plan) {
    if (plan.teardown.empty()) return;
    const auto r = run_command(plan.teardown, 60000, &plan.env);
    std::ofstream(plan.paths.logs() / "teardown.log") << r.output;
}

}  // namespace

int run_lab_host(const host_plan& plan) {
    const host_logs logs(plan.paths);
    if (auto mounted = make_lab_mounts(plan); !mounted) {
        logs.error(mounted.error().message);
        return 1;
    }
    sink_options services_options;
    services_options.role = "host";
    services_options.log_fd = logs.host;
    services_options.run_root = plan.paths.run();
    auto services = start_sink_process(services_options, [] { return true; });
    if (!services) {
        logs.error(services.error().message);
        return 1;
    }
    make_sysv_objects(plan.tokens);
    canary_process canary(plan, logs.canary);
    lab::open_proxy proxy;
    if (!plan.lab_proxy.empty())
        if (auto started = proxy.start(plan.lab_proxy == "rewrite" ? proxy_mode::rewrite : proxy_mode::open); !started) {
            logs.error(started.error().message);
            return 1;
        }
    record_machine_facts(plan, logs);
    {
        const auto text = read_small_file("/proc/meminfo");
        if (const auto total = text ? mem_total(*text) : std::nullopt) logs.fact("mem_total", std::to_string(*total));
    }
    staged_descriptors staged;

    const auto sandbox_ended = [&]() -> result<std::string> {
        if (auto fds = staged.stage(); !fds) return fds.error();
        logs.fact("staged_fds", "3=" + std::string(outside_dir) + " 4=tcp " + std::string(host_v4_primary) + ":" +
                                    std::to_string(host_canary_port));
        lab_tty tty;
        if (auto opened = tty.open(plan.nonce); !opened) return opened.error();
        // TIOCSTI needs CAP_SYS_ADMIN where the kernel forbids legacy use.
        const auto legacy = read_small_file("/proc/sys/dev/tty/legacy_tiocsti");
        logs.fact("tiocsti", !legacy || legacy->rfind('1', 0) == 0 || !plan.run_as ? "yes" : "no");
        if (auto setup = run_setup(plan); !setup) return setup.error();
        send_heartbeats(plan.nonce, "pre", canary.pid());
        limits_sampler limits(plan.nonce, logs.host, plan.memory_process);
        auto ended = run_sandbox_command(plan, staged, tty, limits, [&] {
            logs.fact("sandbox_outlived_agent", "yes");
            record_orphans(plan.nonce, logs.host);
        });
        // Orphans are looked for the moment the sandbox's main process is
        // gone: a leftover it left is found (and killed) before anything else
        // could end it. Then what waits in the terminal's input queue.
        record_orphans(plan.nonce, logs.host);
        if (const auto typed = tty.drain_input()) append_line(logs.host, protocol::encode(*typed));
        send_heartbeats(plan.nonce, "post", canary.pid());
        return ended;
    }();
    if (sandbox_ended) logs.sandbox_exit(*sandbox_ended);
    else logs.error(sandbox_ended.error().message);
    run_teardown(plan);
    record_orphans(plan.nonce, logs.host);  // anything the teardown's end left too
    canary.stop();
    services->stop();
    return sandbox_ended ? 0 : 1;
}

}  // namespace bottle::escape::lab
