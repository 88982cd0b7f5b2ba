// tests/run_smolvm/smolvm_fixture.hpp — one smolmachines launch against the
// fake smolvm (tests/run_smolvm/fake-smolvm/smolvm, found on PATH), in a
// network namespace of its own so its alias and bundle are private to it.
#pragma once

#include "bottle/os/file.hpp"
#include "bottle/os/spawn.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace bottle::test_support {

struct smolvm_launch {
    temp_dir dir{"smolvm-launch"};
    std::string root = dir.path().string();
    std::map<std::string, std::string> env;
    std::vector<std::string> args;

    smolvm_launch() {
        for (const char* d : {"/bin", "/data", "/run", "/home", "/ws"}) std::filesystem::create_directories(root + d);
        std::filesystem::create_symlink(BOTTLE_SOURCE_DIR "/tests/run_smolvm/fake-smolvm/smolvm", root + "/bin/smolvm");
        std::ofstream(root + "/manifest.json")
            << R"({"bottles": {"vm": {"egress": [{"host": "allowed.test", "ports": [80]}], "env": {"LANG": "C.UTF-8"}}}})";
        env = {{"PATH", root + "/bin:/usr/bin:/bin"},
               {"HOME", root + "/home"},
               {"SMOLVM_DATA_DIR", root + "/data"},
               {"XDG_RUNTIME_DIR", root + "/run"},
               {"BOTTLE_EGRESS", BOTTLE_BINARY_DIR "/tools/bottle-egress/bottle-egress"},
               {"BOTTLE_SMOLVM_KVM", "/dev/null"},  // the fake needs no KVM
               {"BOTTLE_SMOLVM_STEP_TIMEOUT_S", "3"},
               {"BOTTLE_SMOLVM_BUSY_TIMEOUT_MS", "500"},
               {"FAKE_SMOLVM_LOG", root + "/fake.log"},
               {"FAKE_SMOLVM_LOCK_SECONDS", "60"}};
        args = {"--manifest", root + "/manifest.json", "--bottle", "vm", "--backend", "smolmachines", "--workspace", root + "/ws", "--"};
    }

    /// Why this machine cannot run the launch tests, or "" when it can.
    static std::string missing() {
        for (const char* p : {"/usr/bin/python3", "/usr/bin/unshare", "/usr/bin/bash"})
            if (::access(p, X_OK) != 0) return std::string(p) + " is missing";
        if (::access(BOTTLE_BINARY_DIR "/tools/bottle-run/bottle-run", X_OK) != 0) return "bottle-run is not built";
        if (::access(BOTTLE_BINARY_DIR "/tools/bottle-egress/bottle-egress", X_OK) != 0) return "bottle-egress is not built";
        auto probe = os::spawn({.argv = {"/usr/bin/unshare", "--net", "/bin/true"}});
        if (!probe || !probe->succeeded()) return "cannot create a network namespace (unshare --net)";
        return "";
    }

    std::vector<std::string> env_list() const {
        std::vector<std::string> out;
        for (const auto& [k, v] : env) out.push_back(k + "=" + v);
        return out;
    }

    /// bottle-run ARGS... COMMAND in a fresh network namespace (lo up).
    os::spawn_output run(const std::vector<std::string>& command, std::chrono::seconds timeout = std::chrono::seconds(60)) {
        os::spawn_request r;
        r.argv = {"/usr/bin/unshare", "--net", "--", "/bin/sh", "-c", "ip link set lo up && exec \"$@\"", "sh",
                  BOTTLE_BINARY_DIR "/tools/bottle-run/bottle-run"};
        r.argv.insert(r.argv.end(), args.begin(), args.end());
        r.argv.insert(r.argv.end(), command.begin(), command.end());
        r.env = env_list();
        r.timeout = timeout;
        auto out = os::spawn(r);
        EXPECT_TRUE(out) << (out ? "" : out.error().message);
        return out ? *out : os::spawn_output{};
    }

    /// The fake's log, one JSON line per smolvm call.
    std::string log() const {
        auto t = os::read_file(root + "/fake.log", 1 << 20);
        return t ? *t : std::string();
    }
    bool started() const { return log().find("\"cmd\": \"start\"") != std::string::npos; }
    std::string machine() const {
        const std::string l = log();
        const auto at = l.find("\"name\": \"");
        return at == std::string::npos ? "" : l.substr(at + 9, l.find('"', at + 9) - at - 9);
    }

    /// Processes whose command line contains `needle`.
    static std::vector<std::string> processes_with(const std::string& needle) {
        std::vector<std::string> out;
        if (needle.empty()) return out;
        DIR* d = ::opendir("/proc");
        while (const dirent* e = d ? ::readdir(d) : nullptr) {
            if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
            auto cmd = os::read_file(std::string("/proc/") + e->d_name + "/cmdline", 1 << 16);
            if (!cmd) continue;
            for (char& c : *cmd)
                if (c == '\0') c = ' ';
            if (cmd->find(needle) != std::string::npos && std::to_string(::getpid()) != e->d_name) out.push_back(*cmd);
        }
        if (d) ::closedir(d);
        return out;
    }

    /// Nothing running (VM, bundle, locker), nothing allocated (alias
    /// records, state, stage), no machine row left.
    void expect_clean() const {
        const std::string m = machine();
        EXPECT_TRUE(processes_with("fake-smolvm-vm " + m).empty() || m.empty()) << "the VM process is still running";
        EXPECT_TRUE(processes_with(root).empty()) << "something of this launch still runs: " << processes_with(root).front();
        std::error_code ec;
        std::vector<std::string> left;
        for (const auto& e : std::filesystem::directory_iterator(root + "/run/bot-bottle", ec)) {
            const auto n = e.path().filename().string();
            // The decision log stays until gc; <id>.launch.json is resume's record.
            if (n == "aliases" || n == "aliases.lock" || n.find(".egress.log") != std::string::npos ||
                n.find(".launch.json") != std::string::npos)
                continue;
            left.push_back(n);
        }
        for (const auto& e : std::filesystem::directory_iterator(root + "/run/bot-bottle/aliases", ec))
            left.push_back("aliases/" + e.path().filename().string());
        EXPECT_TRUE(left.empty()) << "left behind: " << (left.empty() ? "" : left.front());
        if (!m.empty()) {
            auto rows = os::spawn({.argv = {"/usr/bin/sqlite3", root + "/data/.local/share/smolvm/server/smolvm.db",
                                            "SELECT count(*) FROM vms WHERE name = '" + m + "'"}});
            ASSERT_TRUE(rows && rows->succeeded()) << "cannot read the state database with the sqlite3 shell";
            EXPECT_EQ(rows->out, "0\n") << "machine " << m << " was not deleted";
        }
    }
};

}  // namespace bottle::test_support
