// bottle-probe — the probe binary the harness runs inside a sandbox.
//
//   bottle-probe list [--json]
//   bottle-probe run --nonce HEX --lab-token HEX [--only GLOB]... [--timeout-ms N] [--jobs N] [--handle-target TYPE:HEX]
//
// `run` sends tagged traffic to the lab's addresses, which on a real network
// are someone else's. It fails closed before any probe starts: it needs the
// per-run lab token only bottle-escape passes, and the routes of the network
// namespace it is in must reach only the sealed lab (lab/route_guard.hpp).
// Otherwise it exits with refused_outside_lab, having sent nothing.
// `run` executes each selected probe in its own forked process group with a
// deadline and prints one JSON line per probe on stdout (flushed), so a probe
// that crashes or hangs costs only its own line: it is reported as an error,
// never as blocked. With --jobs N the network-bound probes (net, dns, proxy,
// host: they mostly wait on timeouts) run N at a time after the others, each
// with its own deadline; the rest still run one at a time. Static, no shared
// libraries: it runs in any sandbox.
#include "lab/route_guard.hpp"
#include "probe.hpp"
#include "support/facts.hpp"
#include "support/net.hpp"

#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace bottle::escape::probe {

namespace {
constexpr std::size_t max_observed_bytes = 64 * 1024;
}

std::vector<probe_info>& registry() {
    static std::vector<probe_info> probes;
    return probes;
}

std::string slug(std::string_view id) {
    std::string s;
    for (char c : id) s += (c == '.' || c == '_') ? '-' : c;
    return s;
}

context context::for_path(std::string_view suffix) const {
    context c = *this;
    c.tag += '-';
    c.tag += suffix;
    return c;
}

std::string context::http_get(std::string_view host, std::string_view path) const {
    std::string req = "GET ";
    req += path;
    if (req.back() != '/') req += '/';
    req += tag;
    req += " HTTP/1.1\r\nHost: ";
    req += host;
    req += "\r\nUser-Agent: bottle-probe\r\nX-Bbx-Tag: ";
    req += tag;
    req += "\r\nConnection: close\r\n\r\n";
    return req;
}

void report::attempt(std::string action, std::string outcome, bool reached) {
    record("", std::move(action), std::move(outcome), true, reached);
}

void report::attempt_on(std::string_view channel, std::string action, std::string outcome, bool reached) {
    record(channel, std::move(action), std::move(outcome), true, reached);
}

void report::record(std::string_view channel, std::string action, std::string outcome, bool made, bool reached) {
    attempts_.push_back({std::string(channel), std::move(action), std::move(outcome), made, made && reached, {}});
}

void report::not_made(std::string_view channel, std::string action, std::string why) {
    record(channel, std::move(action), std::move(why), false, false);
}

void report::channel_na(std::string_view channel, std::string_view key, std::string action, std::string why) {
    attempts_.push_back({std::string(channel), std::move(action), std::move(why), false, false, std::string(key)});
}

void report::expect(std::string tag) {
    if (!attempts_.empty()) expects_.emplace_back(attempts_.size() - 1, std::move(tag));
}

std::vector<std::string> report::expects() const {
    if (expects_.empty()) return {};
    std::vector<std::string> out(attempts_.size());
    for (const auto& [i, tag] : expects_) out[i] = tag;
    return out;
}

void report::observe(std::string_view text) {
    if (observed_bytes_ >= max_observed_bytes) return;
    std::string_view kept = text.substr(0, max_observed_bytes - observed_bytes_);
    observed_bytes_ += kept.size();
    observed_.emplace_back(kept);
}

void report::fact(std::string name, std::string value) {
    if (facts_.size() < 256) facts_.emplace_back(std::move(name), std::move(value));
}

void report::na(std::string_view key, std::string reason) {
    status_ = protocol::probe_status::na;
    applicability_ = std::string(key);
    reason_ = std::move(reason);
}

void report::error(std::string reason) {
    status_ = protocol::probe_status::error;
    reason_ = std::move(reason);
}

}  // namespace bottle::escape::probe

namespace {

using namespace bottle::escape;
std::string result_line(const probe::probe_info& info, const probe::context& ctx, const probe::report& rep,
                        long duration_ms) {
    return protocol::encode(protocol::probe_line{std::string(info.id), ctx.tag, rep.status(), rep.reason(),
                                                 rep.applicability(), rep.attempts(), rep.observed(), rep.facts(), duration_ms,
                                                 rep.expects()});
}

std::string error_line(const probe::probe_info& info, const probe::context& ctx, const std::string& why,
                       long duration_ms) {
    probe::report rep;
    rep.error(why);
    return result_line(info, ctx, rep, duration_ms);
}

// The exit status of a run refused outside the lab (distinct from usage, 2).
constexpr int refused_outside_lab = 4;

bool lower_hex(const std::string& n, std::size_t min, std::size_t max) {
    return n.size() >= min && n.size() <= max &&
           std::all_of(n.begin(), n.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool valid_nonce(const std::string& n) { return lower_hex(n, 8, 32); }

// Empty when this network namespace reaches only the lab; otherwise why not.
// Reads only /proc (no socket is opened before the answer).
std::string outside_lab_reason() {
    const auto v4 = probe::support::read_file("/proc/net/route", 1 << 20);
    if (!v4.ok) return "cannot read /proc/net/route (" + probe::support::errno_name(v4.err) + ")";
    const auto v6 = probe::support::read_file("/proc/net/ipv6_route", 1 << 20);
    // No ipv6_route file: this kernel has no IPv6 here, so there is no v6 route.
    if (!v6.ok && v6.err != ENOENT) return "cannot read /proc/net/ipv6_route (" + probe::support::errno_name(v6.err) + ")";
    const auto j = lab::judge_routes(v4.data, v6.ok ? std::optional<std::string_view>(v6.data) : std::nullopt);
    return j.lab_only ? std::string() : "this network namespace has a " + j.why;
}

int refuse(const std::string& why) {
    std::cerr << "bottle-probe: refusing to run outside the escape lab: " << why
              << "\n(bottle-probe sends tagged traffic to lab addresses; only bottle-escape runs it, inside its sealed lab)\n";
    return refused_outside_lab;
}

// One probe running in its own child process group, writing its JSON line
// into a pipe the parent reads.
struct running_probe {
    const probe::probe_info* info = nullptr;
    probe::context ctx;
    pid_t pid = -1;
    int fd = -1;
    std::chrono::steady_clock::time_point start;
    std::string line;

    [[nodiscard]] long elapsed_ms() const {
        return static_cast<long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
    }
    [[nodiscard]] std::chrono::steady_clock::time_point deadline() const {
        return start + std::chrono::milliseconds(ctx.timeout_ms);
    }
};

// Forks the probe. On failure returns the error line in `failed` and no pid.
// The pipe is not close-on-exec, as it always was (what a probe execs keeps
// it); the parent closes its write end before starting the next probe, so a
// probe running beside it never holds another's write end.
running_probe start_probe(const probe::probe_info& info, const probe::context& ctx, std::string& failed) {
    running_probe r;
    r.info = &info;
    r.ctx = ctx;
    r.start = std::chrono::steady_clock::now();
    int fds[2];
    if (pipe(fds) != 0) {
        failed = error_line(info, ctx, std::string("pipe: ") + std::strerror(errno), 0);
        return r;
    }
    const pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        failed = error_line(info, ctx, std::string("fork: ") + std::strerror(errno), 0);
        return r;
    }
    if (pid == 0) {
        setpgid(0, 0);
        close(fds[0]);
        probe::report rep;
        const auto t0 = std::chrono::steady_clock::now();
        info.run(ctx, rep);
        const long ms = static_cast<long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
        const std::string line = result_line(info, ctx, rep, ms);
        std::size_t off = 0;
        while (off < line.size()) {
            const ssize_t n = write(fds[1], line.data() + off, line.size() - off);
            if (n <= 0) break;
            off += static_cast<std::size_t>(n);
        }
        _exit(0);
    }
    setpgid(pid, pid);
    close(fds[1]);
    r.pid = pid;
    r.fd = fds[0];
    return r;
}

// Ends a probe (its report read to EOF, or its deadline passed): its whole
// process group goes, including anything it spawned. Returns its JSON line.
std::string finish_probe(running_probe& r, bool timed_out) {
    close(r.fd);
    kill(-r.pid, SIGKILL);
    kill(r.pid, SIGKILL);
    int status = 0;
    waitpid(r.pid, &status, 0);
    if (timed_out && r.line.empty())
        return error_line(*r.info, r.ctx, "timed out after " + std::to_string(r.ctx.timeout_ms) + " ms", r.elapsed_ms());
    if (r.line.empty()) {
        std::string why = "probe process died without a report";
        if (WIFSIGNALED(status)) why += std::string(" (signal ") + strsignal(WTERMSIG(status)) + ")";
        return error_line(*r.info, r.ctx, why, r.elapsed_ms());
    }
    return r.line;
}

using probe_job = std::pair<const probe::probe_info*, probe::context>;

// Runs `jobs` up to `width` at a time (each with its own deadline, counted
// from its own start), printing each probe's line as it finishes.
void run_probes(const std::vector<probe_job>& jobs, std::size_t width) {
    std::vector<running_probe> running;
    std::size_t next = 0;
    while (next < jobs.size() || !running.empty()) {
        while (next < jobs.size() && running.size() < std::max<std::size_t>(width, 1)) {
            std::string failed;
            auto r = start_probe(*jobs[next].first, jobs[next].second, failed);
            ++next;
            if (r.pid < 0) std::cout << failed << '\n' << std::flush;
            else running.push_back(std::move(r));
        }
        if (running.empty()) continue;
        const auto now = std::chrono::steady_clock::now();
        auto soonest = running.front().deadline();
        for (const auto& r : running) soonest = std::min(soonest, r.deadline());
        const auto wait = std::max<long long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(soonest - now).count());
        std::vector<pollfd> fds;
        for (const auto& r : running) fds.push_back(pollfd{r.fd, POLLIN, 0});
        int n = poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(wait, 60000)));
        if (n < 0) {
            // Cannot wait (EINTR, or the kernel refused): nothing was read;
            // the deadlines below still end every probe, with its line.
            n = 0;
            timespec pause{0, 10 * 1000 * 1000};
            nanosleep(&pause, nullptr);
        }
        std::vector<bool> done(running.size(), false), late(running.size(), false);
        for (std::size_t i = 0; i < running.size(); ++i) {
            if (n > 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                char buf[8192];
                const ssize_t got = read(running[i].fd, buf, sizeof buf);
                if (got > 0) running[i].line.append(buf, static_cast<std::size_t>(got));
                else if (got == 0 || errno != EINTR) done[i] = true;
            }
            if (!done[i] && std::chrono::steady_clock::now() >= running[i].deadline()) done[i] = late[i] = true;
        }
        std::vector<running_probe> still;
        for (std::size_t i = 0; i < running.size(); ++i) {
            if (done[i]) std::cout << finish_probe(running[i], late[i]) << '\n' << std::flush;
            else still.push_back(std::move(running[i]));
        }
        running = std::move(still);
    }
}

// Probes that only wait on the network (and read /proc): they may run side
// by side. The others (resources, kernel, privileges, files, IPC) run alone,
// so one's fork bomb or memory load never starves another's attempt.
bool network_bound(std::string_view id) {
    for (std::string_view category : {"net.", "dns.", "proxy.", "host."})
        if (id.substr(0, category.size()) == category) return true;
    return false;
}

int usage(std::ostream& os, int code) {
    os << "usage: bottle-probe list [--json]\n"
          "       bottle-probe run --nonce HEX --lab-token HEX [--only GLOB]... [--timeout-ms N] [--jobs N] [--handle-target TYPE:HEX]\n"
          "       bottle-probe linger TAG SECONDS   (internal: res.orphans)\n"
          "       bottle-probe facts [--handle-target TYPE:HEX]  (internal: machine facts for the lab host)\n"
          "Runs sandbox-escape probes and prints one JSON line per probe. It is meant\n"
          "to be launched by bottle-escape inside its sealed lab, never by hand on a\n"
          "networked host: `run` refuses (exit 4) without the lab token or when\n"
          "this network namespace has a route that leaves the lab.\n";
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h") return usage(args.empty() ? std::cerr : std::cout, args.empty() ? 2 : 0);
    auto probes = probe::registry();
    std::sort(probes.begin(), probes.end(), [](const auto& a, const auto& b) { return a.id < b.id; });

    if (args[0] == "list") {
        const bool json = args.size() > 1 && args[1] == "--json";
        for (const auto& p : probes) {
            if (json)
                std::cout << protocol::encode(protocol::probe_listing{std::string(p.id), std::string(p.description), p.scoring,
                                                                      {p.channels.begin(), p.channels.end()}})
                          << "\n";
            else
                std::printf("%-32s %.*s\n", std::string(p.id).c_str(), static_cast<int>(p.description.size()),
                            p.description.data());
        }
        return 0;
    }
    if (args[0] == "facts" && (args.size() == 1 || (args.size() == 3 && args[1] == "--handle-target"))) {
        // Run by the lab host, unconfined: machine facts that decide
        // applicability outside any sandbox (runner/applicability.hpp).
        for (const auto& [name, value] : probe::support::machine_facts(args.size() == 3 ? args[2] : std::string()))
            std::cout << name << "=" << value << "\n";
        return 0;
    }
    if (args[0] == "linger" && args.size() == 3) {
        // Used by res.orphans: a process that carries the probe's tag in its
        // argv (visible in /proc/PID/cmdline) and outlives its parent for a
        // while, so the harness can see whether the sandbox reaped it.
        const int seconds = std::clamp(std::atoi(args[2].c_str()), 1, 600);
        for (int i = 0; i < seconds * 10; ++i) {
            timespec ts{0, 100 * 1000 * 1000};
            nanosleep(&ts, nullptr);
        }
        return 0;
    }
    if (args[0] != "run") return usage(std::cerr, 2);

    probe::context base;
    std::vector<std::string> only;
    std::string lab_token;
    int jobs = 1;
    for (std::size_t i = 1; i < args.size(); ++i) {
        const auto& a = args[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= args.size()) {
                std::cerr << "bottle-probe: " << a << " needs a value\n";
                std::exit(2);
            }
            return args[++i];
        };
        if (a == "--nonce") base.nonce = next();
        else if (a == "--only") only.push_back(next());
        else if (a == "--timeout-ms") base.timeout_ms = std::atoi(next().c_str());
        else if (a == "--jobs") jobs = std::clamp(std::atoi(next().c_str()), 1, 16);
        else if (a == "--handle-target") base.handle_target = next();
        else if (a == "--lab-token") lab_token = next();
        else {
            std::cerr << "bottle-probe: unknown option " << a << '\n';
            return usage(std::cerr, 2);
        }
    }
    if (!valid_nonce(base.nonce)) {
        std::cerr << "bottle-probe: --nonce must be 8..32 lowercase hex digits\n";
        return 2;
    }
    // Fail closed before anything is sent: the runner's token, then the routes.
    if (!lower_hex(lab_token, 32, 32))
        return refuse("no lab token (--lab-token, 32 hex digits, is passed by bottle-escape for each run)");
    if (const auto why = outside_lab_reason(); !why.empty()) return refuse(why);
    if (base.timeout_ms <= 0) base.timeout_ms = 3000;
    signal(SIGPIPE, SIG_IGN);
    std::vector<probe_job> alone, side_by_side;
    for (const auto& p : probes) {
        const std::string id(p.id);
        if (!only.empty() && std::none_of(only.begin(), only.end(), [&](const std::string& g) {
                return fnmatch(g.c_str(), id.c_str(), 0) == 0;
            }))
            continue;
        probe::context ctx = base;
        ctx.tag = "bbx-" + base.nonce + "-" + probe::slug(p.id);
        (jobs > 1 && network_bound(id) ? side_by_side : alone).emplace_back(&p, std::move(ctx));
    }
    run_probes(alone, 1);
    run_probes(side_by_side, static_cast<std::size_t>(jobs));
    return 0;
}
