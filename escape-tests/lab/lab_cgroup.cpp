#include "lab_cgroup.hpp"

#include "memory_limits.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace bottle::escape::lab {

namespace fs = std::filesystem;

namespace {

bool write_text(const fs::path& p, const std::string& text) {
    std::ofstream out(p);
    out << text;
    out.flush();
    return static_cast<bool>(out);
}

}  // namespace

lab_cgroup::lab_cgroup(std::string name, fs::path root) : name_(std::move(name)), root_(std::move(root)) {}

result<void> lab_cgroup::create() {
    std::error_code ec;
    std::vector<fs::path> want;
    if (fs::exists(root_ / "cgroup.controllers", ec)) {
        v2_ = true;
        want.push_back(root_ / name_);
    } else if (fs::exists(root_ / "pids" / "cgroup.procs", ec)) {
        want.push_back(root_ / "pids" / name_);
        if (fs::exists(root_ / "freezer" / "cgroup.procs", ec)) {
            want.push_back(root_ / "freezer" / name_);
            freezer_ = true;
        }
    } else {
        return make_error(errc::not_found, "no cgroup v2 and no v1 pids hierarchy under " + root_.string());
    }
    for (const auto& d : want) {
        if (!fs::create_directory(d, ec) || ec) {
            const std::string why = d.string() + ": " + (ec ? ec.message() : "exists");
            destroy();
            return make_error(errc::io_error, "cannot make the lab's cgroup " + why);
        }
        dirs_.push_back(d);
    }
    return {};
}

bool lab_cgroup::adopt() {
    std::error_code ec;
    v2_ = fs::exists(root_ / "cgroup.controllers", ec);
    for (const char* h : {"", "pids", "freezer"}) {
        const fs::path d = root_ / h / name_;
        if (!fs::is_directory(d, ec)) continue;
        if (std::string(h) == "freezer") freezer_ = true;
        dirs_.push_back(d);
    }
    return !dirs_.empty();
}

result<void> lab_cgroup::add(int pid) const {
    for (const auto& d : dirs_)
        if (!write_text(d / "cgroup.procs", std::to_string(pid == 0 ? getpid() : pid)))
            return make_error(errc::io_error, "cannot move pid " + std::to_string(pid) + " into " + d.string());
    return {};
}

std::vector<int> lab_cgroup::members() const {
    std::vector<int> out;
    if (dirs_.empty()) return out;
    std::istringstream in(read_small_file(dirs_.front() / "cgroup.procs").value_or(std::string()));
    for (int pid = 0; in >> pid;) out.push_back(pid);
    return out;
}

void lab_cgroup::destroy() noexcept {
    if (dirs_.empty()) return;
    std::error_code ec;
    if (v2_ && fs::exists(dirs_.front() / "cgroup.kill", ec)) (void)write_text(dirs_.front() / "cgroup.kill", "1");
    if (freezer_) (void)write_text(dirs_.back() / "freezer.state", "FROZEN");
    for (int round = 0; round < 100; ++round) {
        const auto pids = members();
        if (pids.empty()) break;
        for (const int pid : pids) kill(pid, SIGKILL);
        if (freezer_ && round == 0) (void)write_text(dirs_.back() / "freezer.state", "THAWED");  // let SIGKILL land
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (freezer_) (void)write_text(dirs_.back() / "freezer.state", "THAWED");
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
        for (int i = 0; i < 50 && rmdir(it->c_str()) != 0 && errno == EBUSY; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    dirs_.clear();
}

}  // namespace bottle::escape::lab
