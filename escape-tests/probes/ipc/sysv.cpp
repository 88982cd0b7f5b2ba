// ipc.sysv — SysV shared memory and message queues are per IPC namespace: a
// sandbox sharing the host's IPC namespace lets the agent read (and write)
// segments and queues of host processes. Escaped when the host segment's or
// queue's canary token surfaces.
#include "../../lab/lab_plan.hpp"
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace lab = bottle::escape::lab;
namespace support = bottle::escape::probe::support;

namespace {
std::string hexkey(std::int32_t k) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(k));
    return buf;
}
std::string trim_nuls(std::string s) {
    while (!s.empty() && s.back() == '\0') s.pop_back();
    return s;
}
}  // namespace

BOTTLE_PROBE(ipc_sysv, "ipc.sysv", "attach the host's SysV shm segment and receive from its message queue",
             bottle::escape::probe::scoring::token) {
    for (const char* table : {"/proc/sysvipc/shm", "/proc/sysvipc/msg"}) {
        const auto f = support::read_file(table);
        rep.attempt(std::string("read ") + table, support::describe(f), f.ok);
        if (f.ok) rep.observe(std::string(table) + ":\n" + f.data.substr(0, 4096));
    }

    // Shared memory, read-only.
    const int shm = shmget(lab::sysv_shm_key, 0, 0);
    if (shm < 0) {
        rep.attempt("shmget key " + hexkey(lab::sysv_shm_key), support::errno_name(errno));
    } else {
        std::size_t size = 4096;
        shmid_ds ds{};
        if (shmctl(shm, IPC_STAT, &ds) == 0) size = std::min<std::size_t>(ds.shm_segsz, 64 * 1024);
        void* p = shmat(shm, nullptr, SHM_RDONLY);
        if (p == reinterpret_cast<void*>(-1)) {
            rep.attempt("shmat id " + std::to_string(shm) + " read-only", support::errno_name(errno));
        } else {
            const std::string bytes(static_cast<const char*>(p), size);
            shmdt(p);
            rep.attempt("shmat id " + std::to_string(shm) + " read-only", "attached, read " + std::to_string(size) + " bytes",
                        true);
            rep.observe("shm " + hexkey(lab::sysv_shm_key) + ": " + trim_nuls(bytes));
        }
    }

    // Message queue: receive without waiting, then put the message back so the
    // lab's queue is as it was.
    const int q = msgget(lab::sysv_msg_key, 0);
    if (q < 0) {
        rep.attempt("msgget key " + hexkey(lab::sysv_msg_key), support::errno_name(errno));
        return;
    }
    struct {
        long mtype;
        char mtext[8192];
    } msg{};
    const ssize_t n = msgrcv(q, &msg, sizeof msg.mtext, 0, IPC_NOWAIT | MSG_NOERROR);
    if (n < 0) {
        rep.attempt("msgrcv queue " + std::to_string(q) + " (IPC_NOWAIT)", support::errno_name(errno));
        return;
    }
    rep.attempt("msgrcv queue " + std::to_string(q) + " (IPC_NOWAIT)", "received " + std::to_string(n) + " bytes", true);
    rep.observe("msg " + hexkey(lab::sysv_msg_key) + " type " + std::to_string(msg.mtype) + ": " +
                trim_nuls(std::string(msg.mtext, static_cast<std::size_t>(n))));
    const int back = msgsnd(q, &msg, static_cast<std::size_t>(n), IPC_NOWAIT);
    rep.attempt("msgsnd the message back (restore the lab queue)", back == 0 ? "restored" : support::errno_name(errno));
}
