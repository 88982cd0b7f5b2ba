// The docker reaper: a forked process that tears the bottle down once the
// launcher's end of its pipe closes.
#include "bottle-run/backends/docker/reaper.hpp"

#include "bottle-run/backends/docker/plan.hpp"
#include "bottle-run/protected_dirs.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

namespace bottle::run::docker {

namespace json = boost::json;

namespace {

/// Removes every target at once (each DELETE is the daemon's slow part and
/// they do not depend on each other); a failure stays for gc.
void delete_all_at_once(const engine& e, const std::vector<std::string>& targets) {
    std::vector<std::thread> removing;
    removing.reserve(targets.size());
    for (const auto& t : targets)
        removing.emplace_back([&e, t] { (void)e.call("DELETE", t, std::nullopt, std::chrono::seconds(30)); });
    for (auto& t : removing) t.join();
}

/// The ids (containers) or names (networks) the daemon has with this bottle's label.
std::vector<std::string> labelled(const engine& e, const std::string& bottle_id, bool containers) {
    const std::string filter = url_encode(json::serialize(json::object{{"label", json::array{std::string(label_id) + "=" + bottle_id}}}));
    auto r = e.call_json("GET", containers ? "/containers/json?all=1&filters=" + filter : "/networks?filters=" + filter, std::nullopt,
                         std::chrono::seconds(30));
    std::vector<std::string> out;
    if (!r || !r->is_array()) return out;
    for (const auto& item : r->get_array())
        if (const auto* o = item.if_object())
            if (const auto* v = o->if_contains(containers ? "Id" : "Name"); v && v->is_string()) out.emplace_back(v->get_string());
    return out;
}

/// Closes every descriptor but `keep` (close_range where the kernel has it).
void close_all_but(std::vector<int> keep) {
    std::sort(keep.begin(), keep.end());
    int from = 0;
    for (const int k : keep) {
        if (k > from && ::syscall(SYS_close_range, static_cast<unsigned>(from), static_cast<unsigned>(k - 1), 0U) != 0)
            for (int fd = from; fd < k; ++fd) ::close(fd);
        from = k + 1;
    }
    if (::syscall(SYS_close_range, static_cast<unsigned>(from), ~0U, 0U) != 0)
        for (int fd = from; fd < 65536; ++fd) ::close(fd);
}

[[noreturn]] void run_reaper(const endpoint& daemon, const reap_list& what, int pipe_in, int ready_out) {
    (void)::setsid();  // no terminal, no process group of the user's: ^C does not reach it
    close_all_but({pipe_in, ready_out});
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; ++fd) (void)::dup2(null, fd);
    if (null > 2) ::close(null);
    created_protected_dirs dirs;
    dirs.hold(what.workspace);
    for (const auto& d : what.created_dirs) dirs.add(d);
    const char ok = 1;
    (void)!::write(ready_out, &ok, 1);
    ::close(ready_out);
    // Wait for the launcher to be done, however it ends.
    char buf[256];
    while (true) {
        const ssize_t n = ::read(pipe_in, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
    const engine e(daemon);
    remove_bottle(e, what);
    dirs.remove_if_alone();
    if (what.refill) (void)fill_pool(e, *what.refill);
    ::_exit(0);
}

}  // namespace

void remove_bottle(const engine& e, const reap_list& what) {
    auto delete_each = [&](const char* prefix, const std::vector<std::string>& names, const char* suffix) {
        std::vector<std::string> targets;
        for (const auto& n : names) targets.push_back(prefix + n + suffix);
        delete_all_at_once(e, targets);
    };
    // Containers first: a network with a container on it cannot go.
    delete_each("/containers/", what.containers, "?force=1&v=1");
    delete_each("/networks/", what.networks, "");
    std::error_code ec;
    for (const auto& f : what.files) std::filesystem::remove_all(f, ec);
    if (what.bottle_id.empty()) return;
    // A create that was in flight when the launcher died lands after the
    // removals above: sweep by label.
    delete_each("/containers/", labelled(e, what.bottle_id, true), "?force=1&v=1");
    delete_each("/networks/", labelled(e, what.bottle_id, false), "");
}

result<docker_reaper> docker_reaper::start(const endpoint& daemon, const reap_list& what) {
    int hold[2], ready[2];
    if (::pipe2(hold, O_CLOEXEC) != 0) return make_error(errc::io_error, std::string("reaper: pipe: ") + std::strerror(errno));
    os::unique_fd hold_in(hold[0]), hold_out(hold[1]);
    if (::pipe2(ready, O_CLOEXEC) != 0) return make_error(errc::io_error, std::string("reaper: pipe: ") + std::strerror(errno));
    os::unique_fd ready_in(ready[0]), ready_out(ready[1]);
    const pid_t pid = ::fork();
    if (pid < 0) return make_error(errc::io_error, std::string("reaper: fork: ") + std::strerror(errno));
    if (pid == 0) run_reaper(daemon, what, hold_in.get(), ready_out.get());
    hold_in.reset();
    ready_out.reset();
    pollfd p{ready_in.get(), POLLIN, 0};
    int r = 0;
    do r = ::poll(&p, 1, 5000);
    while (r < 0 && errno == EINTR);
    char ok = 0;
    if (r <= 0 || ::read(ready_in.get(), &ok, 1) != 1 || ok != 1)
        return make_error(errc::io_error, "reaper: the teardown process did not start (pid " + std::to_string(pid) + ")");
    return docker_reaper(std::move(hold_out), pid);
}

}  // namespace bottle::run::docker
