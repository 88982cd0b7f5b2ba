// escape-tests/runner/applicability.hpp — when "does not apply" is believed.
//
// A probe may say its attack (or one channel of it) does not apply here, but
// only by naming a key (protocol::applicability), and the runner believes it
// only when a fact seen outside the sandbox confirms it: an errno seen inside
// is the sandbox's answer, not the machine's (a seccomp EPERM hides ENOSYS),
// so a sandbox could otherwise turn BLOCKED-or-ESCAPED into N/A. The facts
// come from the lab host, which runs `bottle-probe facts` unconfined before
// the sandbox starts (lab/host.cpp) and records the staging it did.
//
//   key                  confirmed when (lab-host facts)
//   no_module_support    modules=no   (no /proc/modules on the lab host)
//   no_compat_abi        ia32=no and x32=no
//   no_ia32 / no_x32     ia32=no / x32=no
//   no_proxy             always: the proxy is part of the sandboxed process's
//                        own environment (a peer like srt sets it inside), and
//                        a probe that finds none has nothing to aim at; the
//                        net.* probes test direct egress either way. Ground
//                        truth still wins: an N/A probe with evidence ESCAPED.
// Any other key, or a missing fact, is not confirmed (the probe is ERROR).
//
// Some attacks cannot succeed on this machine even unconfined; then the
// probe is N/A whatever it saw (a sandbox cannot be credited with BLOCKED
// for what the machine forbids anyway). probe_requirements lists them:
//   fs.block_devices   block_read=yes (the lab host can read a sector)
//   fs.open_by_handle  open_by_handle=yes (the lab host can open its target)
//   priv.kernel_module modules=yes
//   kern.abi_bypass    ia32=yes or x32=yes
//   ipc.tty_inject     tiocsti=yes (legacy TIOCSTI allowed, or the sandbox runs as root)
#pragma once

#include "../protocol/lines.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace bottle::escape {

/// Lab-host facts: name -> value ("modules" -> "no").
using host_facts = std::map<std::string, std::string, std::less<>>;

/// The outside fact that confirms `key`, as text for the report, or nullopt.
[[nodiscard]] inline std::optional<std::string> confirm_applicability(std::string_view key, const host_facts& facts) {
    namespace k = protocol::applicability;
    auto is = [&](std::string_view name, std::string_view value) {
        const auto it = facts.find(name);
        return it != facts.end() && it->second == value;
    };
    if (key == k::no_proxy) return std::string("no proxy: the sandbox's own environment names none");
    if (key == k::no_module_support && is("modules", "no")) return std::string("the lab host has no module support");
    if (key == k::no_compat_abi && is("ia32", "no") && is("x32", "no"))
        return std::string("the lab host has neither the IA32 nor the x32 entry");
    if (key == k::no_ia32 && is("ia32", "no")) return std::string("the lab host has no IA32 entry");
    if (key == k::no_x32 && is("x32", "no")) return std::string("the lab host has no x32 entry");
    return std::nullopt;
}

/// When one channel of `probe` has nothing to reach in this lab (an optional
/// listener the kernel could not give, lab/sink_listeners.hpp): why, else
/// nullopt. The channel is then N/A, never BLOCKED.
[[nodiscard]] inline std::optional<std::string> channel_ruled_out(std::string_view probe, std::string_view channel,
                                                                  const host_facts& facts) {
    auto listening = [&](std::string_view sink) { return facts.count("listening:" + std::string(sink)) != 0; };
    if (probe == "net.exotic_af" && channel == "vsock" && !listening("host.vsock"))
        return std::string("no vsock listener in the lab (this kernel has no local vsock)");
    if (probe == "net.exotic_af" && channel == "sctp" && !listening("world.sctp"))
        return std::string("no SCTP listener in the lab (this kernel has no SCTP)");
    return std::nullopt;
}

/// When `probe` cannot succeed on this machine even unconfined: why (the
/// outside fact), else nullopt. A missing fact is not a reason (the probe is
/// then judged as usual).
[[nodiscard]] inline std::optional<std::string> machine_rules_out(std::string_view probe, const host_facts& facts) {
    auto is = [&](std::string_view name, std::string_view value) {
        const auto it = facts.find(name);
        return it != facts.end() && it->second == value;
    };
    if (probe == "fs.block_devices" && is("block_read", "no"))
        return std::string("the lab host itself cannot read a block device (block_read=no)");
    if (probe == "fs.open_by_handle" && is("open_by_handle", "no"))
        return std::string("the lab host itself cannot open its target by handle (open_by_handle=no)");
    if (probe == "priv.kernel_module" && is("modules", "no"))
        return std::string("the lab host has no loadable module support (modules=no)");
    if (probe == "ipc.tty_inject" && is("tiocsti", "no"))
        return std::string("the kernel forbids TIOCSTI to this user even unconfined (dev.tty.legacy_tiocsti=0, not root)");
    if (probe == "kern.abi_bypass" && is("ia32", "no") && is("x32", "no"))
        return std::string("the lab host has neither the IA32 nor the x32 entry");
    return std::nullopt;
}

}  // namespace bottle::escape
