// escape-tests/lab/network.hpp — the lab's two network namespaces and the one
// veth pair between them.
//
// bbx-<id>-lab (the lab "host", where the sandbox runs) and bbx-<id>-world
// (where every sink range is local, AnyIP) are joined by one veth pair made
// directly between them: no interface of the real network is ever moved,
// bridged or routed, so no packet can leave the machine. The lab's default
// routes (v4 and v6) lead to the world. create() checks the seal before it
// claims success.
#pragma once

#include "bottle/result.hpp"

#include <string>

namespace bottle::escape::lab {

/// The two namespaces and their link. Destroys them in its destructor.
class network_lab {
public:
    explicit network_lab(std::string id) : id_(std::move(id)) {}
    network_lab(const network_lab&) = delete;
    network_lab& operator=(const network_lab&) = delete;
    ~network_lab() { destroy(); }

    /// Creates and configures both namespaces, then checks the seal: the lab
    /// must hold exactly lo and its end of the link. On any failure, what was
    /// already made is destroyed and the error names the step.
    [[nodiscard]] result<void> create();
    /// Kills every process left in either namespace, then deletes them.
    void destroy();

    [[nodiscard]] std::string lab_ns() const { return "bbx-" + id_ + "-lab"; }
    [[nodiscard]] std::string world_ns() const { return "bbx-" + id_ + "-world"; }
    [[nodiscard]] std::string lab_if() const { return "bbxl" + id_; }
    [[nodiscard]] std::string world_if() const { return "bbxw" + id_; }

private:
    std::string id_;
    bool made_lab_ = false;
    bool made_world_ = false;
};

/// Enters the named network namespace (/run/netns/NAME). False (errno set) on failure.
[[nodiscard]] bool enter_netns(const std::string& name);

/// True when /run/netns/NAME exists.
[[nodiscard]] bool netns_exists(const std::string& name);

/// SIGKILLs every process whose network namespace is NAME (sinks, sandboxes,
/// daemons, whatever started them), retrying until none is left (bounded).
void kill_namespace_processes(const std::string& name);

}  // namespace bottle::escape::lab
