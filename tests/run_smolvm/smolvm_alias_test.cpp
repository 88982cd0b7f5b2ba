#include "bottle-run/backends/smolmachines/alias.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace sm = bottle::run::smolmachines;
using bottle::net::address_v4;

namespace {

const address_v4 a16(0x7f000010u), a17(0x7f000011u);

/// A socket table as the kernel prints it (x86: words in host order).
const char* const tcp_table =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 1000007F:0C38 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n"
    "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0\n";
const char* const tcp6_table =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue\n"
    "   0: 0000000000000000FFFF00001100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000\n"
    "   1: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 0A 00000000:00000000\n";

bool little_endian() {
    const std::uint16_t x = 1;
    return *reinterpret_cast<const unsigned char*>(&x) == 1;
}

/// Runs `body` in a child in a new network namespace (only `lo`, up);
/// returns its exit status (0 = the child's checks passed).
template <class F>
int in_new_netns(F body) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (::unshare(CLONE_NEWNET) != 0) _exit(77);
        const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
        ifreq ifr{};
        std::strcpy(ifr.ifr_name, "lo");
        if (::ioctl(s, SIOCGIFFLAGS, &ifr) != 0) _exit(78);
        ifr.ifr_flags |= IFF_UP;
        if (::ioctl(s, SIOCSIFFLAGS, &ifr) != 0) _exit(78);
        ::close(s);
        _exit(body());
    }
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int bind_tcp(const char* addr) {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    ::inet_pton(AF_INET, addr, &sa.sin_addr);
    if (::bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(s, 1) != 0) return -1;
    return s;
}

sm::host_alias_source::config quiet_config(const std::string& dir) {
    sm::host_alias_source::config c;
    c.records_dir = dir + "/aliases";
    c.docker.clear();
    return c;
}

}  // namespace

TEST(SmolvmAlias, ParsesTheKernelsSocketTables) {
    if (!little_endian()) GTEST_SKIP() << "the sample tables are x86's byte order";
    auto v4 = sm::parse_proc_net(tcp_table);
    ASSERT_TRUE(v4) << v4.error().message;
    EXPECT_EQ(*v4, std::vector<address_v4>{a16});  // 0.0.0.0:22 is no alias
    auto v6 = sm::parse_proc_net(tcp6_table);
    ASSERT_TRUE(v6) << v6.error().message;
    EXPECT_EQ(*v6, std::vector<address_v4>{a17});  // ::ffff:127.0.0.17; ::1 is not v4
    EXPECT_FALSE(sm::parse_proc_net("header\n   0: ZZZZ:0C38 00000000:0000 0A\n"));
    EXPECT_FALSE(sm::parse_proc_net("header\n   0:\n"));
}

TEST(SmolvmAlias, ParsesDockerPublishedPorts) {
    auto v = sm::parse_docker_ports("127.0.0.16:3128->3128/tcp, 0.0.0.0:80->80/tcp, :::80->80/tcp\n\n127.0.0.18:1-2->1-2/udp\n");
    EXPECT_EQ(v, (std::vector<address_v4>{a16, address_v4(0x7f000012u)}));
}

TEST(SmolvmAlias, DockerOutputCountsAsInUse) {
    bottle::test_support::temp_dir dir("smolvm-alias");
    const std::string fake = dir.path().string() + "/docker";
    std::ofstream(fake) << "#!/bin/sh\necho '127.0.0.16:3128->3128/tcp'\n";
    ::chmod(fake.c_str(), 0755);
    auto c = quiet_config(dir.path().string());
    c.proc_files.clear();
    c.docker = {fake};
    auto src = sm::host_alias_source::open(c);
    ASSERT_TRUE(src);
    auto pool = sm::host_pool::make(std::move(*src), bottle::net::flock_lock(dir.path().string() + "/aliases.lock"));
    ASSERT_TRUE(pool);
    auto a = pool->allocate("bb-one");
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(*a, a17);
    // A docker that fails for another reason than a missing daemon: unknown, so nothing is allocated.
    std::ofstream(fake) << "#!/bin/sh\necho 'permission denied' >&2; exit 1\n";
    auto b = pool->allocate("bb-two");
    EXPECT_FALSE(b);
}

TEST(SmolvmAlias, ForeignSocketOnTheFirstAliasIsSkipped) {
    bottle::test_support::temp_dir dir("smolvm-alias");
    const std::string d = dir.path().string();
    const int rc = in_new_netns([&] {
        // A foreign process holds 127.0.0.16 (any port).
        int ready[2];
        if (::pipe(ready) != 0) return 10;
        const pid_t holder = ::fork();
        if (holder == 0) {
            const int s = bind_tcp("127.0.0.16");
            char c = s >= 0 ? 'y' : 'n';
            if (::write(ready[1], &c, 1) != 1) _exit(1);
            ::pause();
            _exit(0);
        }
        char c = 0;
        if (::read(ready[0], &c, 1) != 1 || c != 'y') return 11;
        auto pool = sm::open_host_pool(d, std::nullopt);
        int result = 0;
        if (!pool) result = 12;
        else {
            // The real source reads docker too; make it the quiet one here.
            auto src = sm::host_alias_source::open(quiet_config(d));
            auto p = sm::host_pool::make(std::move(*src), bottle::net::flock_lock(sm::alias_lock_path(d)));
            auto a = p->allocate("bb-first");
            if (!a) result = 13;
            else if (*a != a17) result = 14;  // 127.0.0.16 was skipped
        }
        ::kill(holder, SIGKILL);
        ::waitpid(holder, nullptr, 0);
        // The holder is gone: 127.0.0.16 is free again.
        auto src = sm::host_alias_source::open(quiet_config(d));
        auto p = sm::host_pool::make(std::move(*src), bottle::net::flock_lock(sm::alias_lock_path(d)));
        auto b = p->allocate("bb-second");
        if (result == 0 && (!b || *b != a16)) result = 15;
        return result;
    });
    if (rc == 77) GTEST_SKIP() << "cannot create a network namespace here";
    EXPECT_EQ(rc, 0) << "10 pipe, 11 holder could not bind, 12 pool, 13 allocate failed, 14 did not skip .16, 15 .16 not reused";
}

TEST(SmolvmAlias, TwoAllocationsAtOnceGetDifferentAliases) {
    bottle::test_support::temp_dir dir("smolvm-alias");
    const std::string d = dir.path().string();
    int out[2];
    ASSERT_EQ(::pipe(out), 0);
    std::vector<pid_t> kids;
    for (int i = 0; i < 4; ++i) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            auto src = sm::host_alias_source::open(quiet_config(d));
            auto p = sm::host_pool::make(std::move(*src), bottle::net::flock_lock(sm::alias_lock_path(d)));
            auto a = p->allocate("bb-kid" + std::to_string(i));
            const std::uint32_t v = a ? a->to_uint() : 0;
            if (::write(out[1], &v, sizeof v) != sizeof v) _exit(1);
            _exit(0);
        }
        kids.push_back(pid);
    }
    ::close(out[1]);
    std::vector<std::uint32_t> got;
    std::uint32_t v = 0;
    while (::read(out[0], &v, sizeof v) == sizeof v) got.push_back(v);
    ::close(out[0]);
    for (pid_t k : kids) ::waitpid(k, nullptr, 0);
    ASSERT_EQ(got.size(), 4u);
    for (auto x : got) EXPECT_NE(x, 0u);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(std::unique(got.begin(), got.end()), got.end()) << "two launches got the same alias";
}

TEST(SmolvmAlias, SmolvmAllowlistsHoldTheirAlias) {
    bottle::test_support::temp_dir dir("smolvm-alias");
    // Built with the documented schema by the sqlite3 shell (what smolvm writes: a BLOB).
    const std::string db = dir.path().string() + "/smolvm.db";
    const std::string sql = "CREATE TABLE vms(name TEXT PRIMARY KEY NOT NULL, data BLOB NOT NULL);"
                            "INSERT INTO vms VALUES('other', CAST('{\"name\":\"other\",\"network\":true,\"allowed_cidrs\":[\"127.0.0.16/32\"]}' AS BLOB));";
    std::ofstream(dir.path().string() + "/s.sql") << sql;
    ASSERT_EQ(std::system(("sqlite3 " + db + " < " + dir.path().string() + "/s.sql").c_str()), 0) << "needs the sqlite3 shell";
    auto c = quiet_config(dir.path().string());
    c.proc_files.clear();
    c.smolvm_db = db;
    auto src = sm::host_alias_source::open(c);
    ASSERT_TRUE(src);
    auto used = src->in_use();
    ASSERT_TRUE(used) << used.error().message;
    ASSERT_EQ(used->size(), 1u);
    EXPECT_EQ(used->front().alias, a16);
    EXPECT_EQ(used->front().holder, "smolvm.other");
}

TEST(SmolvmAlias, GcReleasesRecordsOfDeadBottlesOnly) {
    bottle::test_support::temp_dir dir("smolvm-alias");
    const std::string d = dir.path().string();
    {
        auto src = sm::host_alias_source::open(quiet_config(d));
        auto p = sm::host_pool::make(std::move(*src), bottle::net::flock_lock(sm::alias_lock_path(d)));
        ASSERT_TRUE(p->allocate("bb-live"));
        ASSERT_TRUE(p->allocate("bb-dead"));
    }
    auto released = sm::reclaim_aliases(d, {"bb-live"});
    ASSERT_TRUE(released) << released.error().message;
    ASSERT_EQ(released->size(), 1u);
    EXPECT_EQ(released->front().holder, "bb-dead");
    auto src = sm::host_alias_source::open(quiet_config(d));
    auto left = src->records();
    ASSERT_TRUE(left);
    ASSERT_EQ(left->size(), 1u);
    EXPECT_EQ(left->front().holder, "bb-live");
}
