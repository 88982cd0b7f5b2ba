// bottle-run-probe — tries one thing per argument inside a bottle and prints
// "NAME ok" or "NAME err ERRNO" (or a value), for tests/run/. It decides
// nothing: the tests compare what it saw with what the plan promises.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace {

void report(const std::string& name, long rc) {
    if (rc >= 0) std::printf("%s ok\n", name.c_str());
    else std::printf("%s err %s\n", name.c_str(), strerrorname_np(errno));
    std::fflush(stdout);
}

std::string status_field(const char* key) {
    std::ifstream f("/proc/self/status");
    for (std::string line; std::getline(f, line);)
        if (line.rfind(key, 0) == 0) {
            auto v = line.substr(std::strlen(key));
            v.erase(0, v.find_first_not_of(" \t"));
            return v;
        }
    return "?";
}

long tcp(bool connect_to, int port) {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    const long rc = connect_to ? ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) : ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    const int e = errno;
    ::close(s);
    errno = e;
    return rc;
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto colon = a.find(':');
        const std::string name = a.substr(0, colon);
        const std::string arg = colon == std::string::npos ? "" : a.substr(colon + 1);
        errno = 0;
        if (name == "uid") std::printf("uid %u %u\n", ::getuid(), ::getgid());
        else if (name == "groups") std::printf("groups %s\n", status_field("Groups:").c_str());
        else if (name == "caps") std::printf("caps %s %s %s\n", status_field("CapEff:").c_str(), status_field("CapPrm:").c_str(), status_field("CapBnd:").c_str());
        else if (name == "nnp") std::printf("nnp %s\n", status_field("NoNewPrivs:").c_str());
        else if (name == "seccomp") std::printf("seccomp %s\n", status_field("Seccomp:").c_str());
        else if (name == "pid") std::printf("pid %d\n", ::getpid());
        else if (name == "hostname") {
            char h[256] = {};
            ::gethostname(h, sizeof h - 1);
            std::printf("hostname %s\n", h);
        } else if (name == "env") {
            for (char** e = environ; *e; ++e) std::printf("env %s\n", *e);
        } else if (name == "ifaces") {
            std::ifstream f("/proc/net/dev");
            std::string line, out;
            for (int n = 0; std::getline(f, line); ++n)
                if (n >= 2) out += " " + line.substr(line.find_first_not_of(' '), line.find(':') - line.find_first_not_of(' '));
            std::printf("ifaces%s\n", out.c_str());
        } else if (name == "unshare") report(name, ::unshare(CLONE_NEWUSER));
        else if (name == "clone_ns") {
            const long rc = ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
            if (rc == 0) _exit(0);
            report(name, rc);
        } else if (name == "ptrace") report(name, ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr));
        else if (name == "io_uring") {
            io_uring_params p{};
            report(name, ::syscall(SYS_io_uring_setup, 1, &p));
        } else if (name == "bpf") report(name, ::syscall(SYS_bpf, 0, nullptr, 0));
        else if (name == "userfaultfd") report(name, ::syscall(SYS_userfaultfd, 0));
        else if (name == "keyctl") report(name, ::syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3, 0));
        else if (name == "mount") report(name, ::mount("none", "/tmp", "tmpfs", 0, nullptr));
        else if (name == "af_packet") report(name, ::socket(AF_PACKET, SOCK_RAW, 0));
        else if (name == "af_netlink") report(name, ::socket(AF_NETLINK, SOCK_RAW, 0));
        else if (name == "af_vsock") report(name, ::socket(AF_VSOCK, SOCK_STREAM, 0));
        else if (name == "af_unix") report(name, ::socket(AF_UNIX, SOCK_STREAM, 0));
        else if (name == "tiocsti") {
            char c = 'x';
            report(name, ::ioctl(0, TIOCSTI, &c));
        } else if (name == "write") report(name, ::open(arg.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
        else if (name == "read") report(name, ::open(arg.c_str(), O_RDONLY | O_CLOEXEC));
        else if (name == "mkdir") report(name, ::mkdir(arg.c_str(), 0755));
        else if (name == "rmdir") report(name, ::rmdir(arg.c_str()));
        else if (name == "rename") {  // rename:FROM,TO
            const auto comma = arg.find(',');
            report(name, ::rename(arg.substr(0, comma).c_str(), comma == std::string::npos ? "" : arg.substr(comma + 1).c_str()));
        } else if (name == "fill" || name == "fillkeep") {
            // fill:PATH — write 1 MiB blocks until an error (at most 1 GiB):
            // "fill PATH MIB ERRNO"; fill removes the file, fillkeep keeps it.
            const int fd = ::open(arg.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
            if (fd < 0) {
                report(name, -1);
                continue;
            }
            static char block[1 << 20];
            int mib = 0, err = 0;
            for (; mib < 1024; ++mib)
                if (::write(fd, block, sizeof block) != static_cast<ssize_t>(sizeof block)) {
                    err = errno;
                    break;
                }
            ::close(fd);
            if (name == "fill") ::unlink(arg.c_str());
            std::printf("%s %s %d %s\n", name.c_str(), arg.c_str(), mib, err ? strerrorname_np(err) : "none");
        }
        else if (name == "readbytes") {
            std::ifstream f(arg, std::ios::binary);
            std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
            std::printf("readbytes %s %zu\n", arg.c_str(), s.size());
        } else if (name == "owner") {
            struct stat st {};
            if (::stat(arg.c_str(), &st) == 0) std::printf("owner %s %u %u\n", arg.c_str(), st.st_uid, st.st_gid);
            else report(name, -1);
        } else if (name == "tcp_bind") report(name, tcp(false, 0));
        else if (name == "tcp_connect") report(name, tcp(true, std::atoi(arg.c_str())));
        else if (name == "kill") report(name, ::kill(std::atoi(arg.c_str()), 0));
        else if (name == "sleep") ::sleep(static_cast<unsigned>(std::atoi(arg.c_str())));
        else if (name == "exit") return std::atoi(arg.c_str());
        else if (name == "int80") {
            long ret = 20;  // i386 getpid through the 32-bit entry
            asm volatile("int $0x80" : "+a"(ret) : : "memory");
            std::printf("int80 returned %ld\n", ret);
        } else if (name == "x32") {
            const long rc = ::syscall(0x40000000L | 39 /* getpid */);
            std::printf("x32 returned %ld\n", rc);
        } else std::printf("%s unknown\n", name.c_str());
        std::fflush(stdout);
    }
    return 0;
}
