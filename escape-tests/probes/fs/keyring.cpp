// fs.keyring — the kernel keyrings are not isolated by mount or pid
// namespaces: a sandbox that leaves keyctl open can read keys in the session
// and user keyrings (kerberos tickets, ecryptfs keys, ...) and plant keys.
// Reads and describes keys; adds one tagged "user" key to the session keyring
// (reached) and invalidates it again. Raw syscalls: no libkeyutils.
#include "../probe.hpp"
#include "../support/net.hpp"
#include "../support/sys.hpp"

#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace support = bottle::escape::probe::support;

namespace {

support::sys_result keyctl(long op, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0) {
    return support::raw_syscall(SYS_keyctl, op, a2, a3, a4, a5);
}

std::string describe_key(long id) {
    char buf[512]{};
    const auto r = keyctl(KEYCTL_DESCRIBE, id, reinterpret_cast<long>(buf), sizeof buf - 1);
    return r.ok() ? std::string(buf) : support::errno_name(r.err);
}

std::string read_key(long id, support::sys_result& r) {
    std::string buf(4096, '\0');
    r = keyctl(KEYCTL_READ, id, reinterpret_cast<long>(buf.data()), static_cast<long>(buf.size()));
    if (!r.ok()) return {};
    buf.resize(std::min<std::size_t>(static_cast<std::size_t>(r.ret), buf.size()));
    return buf;
}

}  // namespace

BOTTLE_PROBE(fs_keyring, "fs.keyring", "keyctl describe/read of session and user keyrings; add a tagged user key",
             bottle::escape::probe::scoring::self) {
    const auto proc_keys = support::read_file("/proc/keys");
    rep.attempt("read /proc/keys", support::describe(proc_keys), false);
    if (proc_keys.ok) rep.observe("/proc/keys:\n" + proc_keys.data.substr(0, 4096));

    const struct {
        long spec;
        const char* name;
    } rings[] = {{KEY_SPEC_SESSION_KEYRING, "session"}, {KEY_SPEC_USER_KEYRING, "user"},
                 {KEY_SPEC_USER_SESSION_KEYRING, "user-session"}};
    for (const auto& ring : rings) {
        const auto id = keyctl(KEYCTL_GET_KEYRING_ID, ring.spec, 0);
        rep.attempt(std::string("keyctl(GET_KEYRING_ID, ") + ring.name + ")", support::classify(id));
        if (!id.ok()) continue;
        rep.observe(std::string(ring.name) + " keyring " + std::to_string(id.ret) + ": " + describe_key(id.ret));
        support::sys_result rr;
        const std::string ids = read_key(id.ret, rr);
        rep.attempt(std::string("keyctl(READ) ") + ring.name + " keyring",
                    rr.ok() ? std::to_string(ids.size() / 4) + " keys linked" : support::errno_name(rr.err));
        for (std::size_t off = 0; off + 4 <= ids.size() && off < 64; off += 4) {
            std::int32_t key = 0;
            std::memcpy(&key, ids.data() + off, 4);
            support::sys_result kr;
            const std::string payload = read_key(key, kr);
            rep.observe("key " + std::to_string(key) + " (" + describe_key(key) + "): " +
                        (kr.ok() ? payload : support::errno_name(kr.err)));
        }
    }

    const std::string desc = ctx.tag;
    const std::string payload = ctx.tag;
    const auto added = support::raw_syscall(SYS_add_key, reinterpret_cast<long>("user"), reinterpret_cast<long>(desc.c_str()),
                                            reinterpret_cast<long>(payload.data()), static_cast<long>(payload.size()),
                                            KEY_SPEC_SESSION_KEYRING);
    rep.attempt("add_key(\"user\", tag) to the session keyring", support::classify(added), added.ok());
    if (added.ok()) {
        const auto inv = keyctl(KEYCTL_INVALIDATE, added.ret);
        rep.attempt("keyctl(INVALIDATE) the added key", support::classify(inv));
    }
}
