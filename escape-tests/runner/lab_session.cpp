#include "lab_session.hpp"

#include "../lab/host.hpp"
#include "../lab/log_file.hpp"
#include "../lab/plant.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace bottle::escape {

namespace fs = std::filesystem;

lab_session::lab_session(lab::run_paths paths, std::string network_id, bool keep)
    : paths_(std::move(paths)), keep_(keep), net_(network_id), cgroup_("bbx-lab-" + network_id) {}

result<lab::token_map> lab_session::build(const prepared_run& run) {
    // The owner pid before anything else: gc never removes a live run's lab
    // and always finds a dead one's.
    std::error_code ec;
    if (!fs::create_directories(paths_.root, ec) || ec)
        return make_error(errc::io_error, "cannot create the run directory " + paths_.root.string() +
                                              (ec ? ": " + ec.message() : " (it exists)"));
    made_root_ = true;
    {
        std::ofstream owner(paths_.owner());
        owner << getpid() << "\n";
        owner.close();
        if (!owner) return make_error(errc::io_error, "cannot write " + paths_.owner().string());
    }
    // The lab host's cgroup, where the machine has one to give (else the
    // pid namespace alone ends what the sandbox started).
    if (auto made = cgroup_.create(); !made) std::fprintf(stderr, "bottle-escape: no cgroup for the lab: %s\n", made.error().message.c_str());
    auto tokens = lab::plant(paths_, run.inside.nonce);
    if (!tokens) return tokens.error();
    if (auto made = make_lab_user(); !made) return made.error();
    if (auto made = lab::make_mount_points(run.tools); !made) return made.error();
    if (auto files = write_profile_files(run); !files) return files.error();
    if (auto made = net_.create(); !made) return made.error();
    world_log_ = lab::open_log(paths_.logs() / "world.jsonl");
    if (world_log_ < 0) return make_error(errc::io_error, "cannot open the world log: " + std::string(std::strerror(errno)));
    lab::sink_options world_options;
    world_options.role = "world";
    world_options.log_fd = world_log_;
    world_options.capture_ifname = net_.world_if();
    const std::string world_ns = net_.world_ns();
    auto world = lab::start_sink_process(world_options, [&] { return lab::enter_netns(world_ns); });
    if (!world) return world.error();
    world_ = std::move(*world);
    return tokens;
}

result<void> lab_session::make_lab_user() {
    auto read = [](const char* path) {
        std::ifstream in(path);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    };
    const std::string passwd = read("/etc/passwd"), group = read("/etc/group");
    auto user = lab::choose_lab_user(passwd, group);
    if (!user) return user.error();
    user_ = *user;
    std::error_code ec;
    fs::create_directories(paths_.passwd().parent_path(), ec);
    std::ofstream(paths_.passwd()) << lab::passwd_with(passwd, user_);
    std::ofstream(paths_.group()) << lab::group_with(group, user_);
    if (!fs::exists(paths_.passwd()) || !fs::exists(paths_.group()))
        return make_error(errc::io_error, "cannot write the lab's passwd/group under " + paths_.passwd().parent_path().string());
    if (auto r = lab::give_to(paths_.home(), user_); !r) return r;
    return lab::give_to(paths_.workspace(), user_);
}

result<void> lab_session::run_host(const lab::host_plan& plan, const std::function<void()>& on_poll,
                                   const std::atomic<bool>& stop) {
    const std::string lab_ns = net_.lab_ns();
    const pid_t host = fork();
    if (host < 0) return make_error(errc::io_error, std::string("fork the lab host: ") + std::strerror(errno));
    if (host == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        if (cgroup_.made())
            if (auto joined = cgroup_.add(0); !joined) {
                std::fprintf(stderr, "bottle-escape: %s\n", joined.error().message.c_str());
                _exit(1);
            }
        if (!lab::enter_netns(lab_ns)) _exit(1);
        // The lab runs in its own pid namespace: its PID 1 (below) reaps
        // every orphan (a daemon a setup script left) and, when the lab host
        // ends, exits, and the kernel kills whatever the sandbox left. The
        // lab's /proc shows only its processes (lab/host.cpp mounts it).
        if (unshare(CLONE_NEWPID) != 0) {
            std::fprintf(stderr, "bottle-escape: unshare(CLONE_NEWPID): %s\n", std::strerror(errno));
            _exit(1);
        }
        const pid_t init = fork();
        if (init < 0) _exit(1);
        if (init == 0) {
            const pid_t lab_host = fork();
            if (lab_host < 0) _exit(1);
            if (lab_host == 0) _exit(lab::run_lab_host(plan));
            for (;;) {
                int status = 0;
                const pid_t reaped = waitpid(-1, &status, 0);
                if (reaped == lab_host) _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
                if (reaped < 0 && errno != EINTR) _exit(1);
            }
        }
        int status = 0;
        while (waitpid(init, &status, 0) < 0 && errno == EINTR) {}
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
    }
    for (;;) {
        const bool done = waitpid(host, nullptr, WNOHANG) == host;
        if (on_poll) on_poll();
        if (done) return {};
        if (stop) {
            lab::kill_namespace_processes(lab_ns);
            kill(host, SIGKILL);
            waitpid(host, nullptr, 0);
            return make_error(errc::io_error, "interrupted");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

void lab_session::stop_world() {
    if (!world_.running()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    world_.stop();
}

void lab_session::teardown() noexcept {
    // Processes and namespaces (whatever is left in the lab host's cgroup,
    // then network_lab::destroy kills what is left in the lab and the
    // world), then the world's handle, then the directory.
    cgroup_.destroy();
    net_.destroy();
    world_.stop(0);
    if (world_log_ >= 0) {
        close(world_log_);
        world_log_ = -1;
    }
    if (made_root_ && !keep_) {
        std::error_code ec;
        fs::remove_all(paths_.root, ec);
    }
    made_root_ = false;
}

}  // namespace bottle::escape
